"""Behaviour of securities_rails.csvio: checked batch input for the issuer CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import keccak

from securities_rails.csvio import AmountRow, InvestorRow, read_amounts, read_investors
from securities_rails.errors import BatchError, RowError, UserError

ALICE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
BOB = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
INVESTOR_HEADER = "wallet,investor_id,country,category,expiry"
END_2026 = 1798675200  # 2026-12-31T00:00:00Z


def write(tmp_path: Path, text: str, name: str = "batch.csv") -> Path:
    """Write ``text`` to a CSV file under ``tmp_path`` and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def batch_error(call: object, *args: object) -> BatchError:
    """Run ``call`` expecting a BatchError and return it."""
    with pytest.raises(BatchError) as exc:
        call(*args)  # type: ignore[operator]
    return exc.value


# --- read_investors --------------------------------------------------------------------


def test_read_investors_parses_every_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"{INVESTOR_HEADER}\n"
        f"{ALICE.lower()}, INV-001 ,DE,professional,2026-12-31\n"
        f"{BOB},INV-002,840,1,2026-12-31T12:00:00Z\n",
    )
    assert read_investors(path) == [
        InvestorRow(1, ALICE, "INV-001", keccak(b"INV-001"), 276, 2, END_2026),
        InvestorRow(2, BOB, "INV-002", keccak(b"INV-002"), 840, 1, END_2026 + 12 * 3600),
    ]


def test_read_investors_accepts_columns_in_any_order_with_spaces_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    text = f" Expiry , category,COUNTRY,investor_id,wallet\n2026-12-31,retail,DEU,INV-9,{ALICE}\n"
    path.write_text(text, encoding="utf-8-sig")
    (row,) = read_investors(path)
    assert (row.wallet, row.country, row.category, row.expiry) == (ALICE, 276, 1, END_2026)


def test_read_investors_allows_one_investor_with_several_wallets(tmp_path: Path) -> None:
    path = write(
        tmp_path, f"{INVESTOR_HEADER}\n{ALICE},INV-1,DE,1,2026-12-31\n{BOB},INV-1,DE,1,2026-12-31\n"
    )
    assert [row.id_hash for row in read_investors(path)] == [keccak(b"INV-1")] * 2


def test_read_investors_refuses_a_wallet_listed_twice(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"{INVESTOR_HEADER}\n{ALICE},INV-1,DE,1,2026-12-31\n{ALICE.lower()},INV-2,FR,1,2026-12-31\n",
    )
    error = batch_error(read_investors, path)
    (row_error,) = error.errors
    assert (row_error.row, row_error.field) == (2, "wallet")
    assert "already in row 1" in row_error.message


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("0x1234,INV-1,DE,1,2026-12-31", "wallet"),
        (f"{ALICE}, ,DE,1,2026-12-31", "investor_id"),
        (f"{ALICE},INV-1,ZZ,1,2026-12-31", "country"),
        (f"{ALICE},INV-1,DE,vip,2026-12-31", "category"),
        (f"{ALICE},INV-1,DE,1,31/12/2026", "expiry"),
        (f"{ALICE},INV-1,DE,1,", "expiry"),
    ],
)
def test_read_investors_names_the_row_and_field_of_a_bad_value(
    tmp_path: Path, line: str, field: str
) -> None:
    path = write(tmp_path, f"{INVESTOR_HEADER}\n{BOB},INV-0,DE,1,2026-12-31\n{line}\n")
    (row_error,) = batch_error(read_investors, path).errors
    assert isinstance(row_error, RowError)
    assert (row_error.row, row_error.field) == (2, field)
    assert str(row_error).startswith(f"row 2, {field}: ")


# --- read_amounts ----------------------------------------------------------------------


def test_read_amounts_converts_to_base_units(tmp_path: Path) -> None:
    path = write(tmp_path, f"wallet,amount\n{ALICE},1.5\n{BOB},1000\n")
    assert read_amounts(path, 2) == [AmountRow(1, ALICE, 150), AmountRow(2, BOB, 100000)]


def test_read_amounts_allows_a_wallet_more_than_once(tmp_path: Path) -> None:
    path = write(tmp_path, f"wallet,amount\n{ALICE},1\n{ALICE},2\n")
    assert [row.amount for row in read_amounts(path, 0)] == [1, 2]


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [("0", "greater than zero"), ("-5", "negative"), ("1.234", "3 decimal places"), ("x", "")],
)
def test_read_amounts_names_the_row_of_a_bad_amount(
    tmp_path: Path, amount: str, fragment: str
) -> None:
    path = write(tmp_path, f"wallet,amount\n{ALICE},1\n{BOB},{amount}\n")
    (row_error,) = batch_error(read_amounts, path, 2).errors
    assert (row_error.row, row_error.field) == (2, "amount")
    assert fragment in row_error.message


# --- every bad row at once -------------------------------------------------------------


def test_batch_error_lists_every_bad_row_in_order(tmp_path: Path) -> None:
    lines = [f"{ALICE},1", "nope,1", f"{BOB},-1", f"{BOB},2", "0x12,3"]
    path = write(tmp_path, "wallet,amount\n" + "\n".join(lines) + "\n")
    error = batch_error(read_amounts, path, 0)
    assert [(e.row, e.field) for e in error.errors] == [(2, "wallet"), (3, "amount"), (5, "wallet")]
    assert isinstance(error, UserError)


def test_batch_error_str_shows_the_count_and_the_first_five_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "wallet,amount\n" + "".join(f"bad{n},1\n" for n in range(7)))
    text = str(batch_error(read_amounts, path, 0))
    lines = text.splitlines()
    assert lines[0] == f"{path}: 7 bad rows"
    assert [line.split(",")[0].strip() for line in lines[1:6]] == [f"row {n}" for n in range(1, 6)]
    assert lines[6] == "  ... and 2 more"
    assert len(lines) == 7


def test_batch_error_with_one_row_says_row_in_the_singular(tmp_path: Path) -> None:
    path = write(tmp_path, "wallet,amount\nbad,1\n")
    assert str(batch_error(read_amounts, path, 0)).splitlines()[0] == f"{path}: 1 bad row"


def test_row_numbers_follow_file_lines_across_skipped_blank_rows(tmp_path: Path) -> None:
    path = write(tmp_path, f"wallet,amount\n{ALICE},1\n\n,\n{BOB},x\n")
    (row_error,) = batch_error(read_amounts, path, 0).errors
    assert row_error.row == 4  # line 5 of the file: blank lines are skipped but counted


def test_a_row_with_the_wrong_number_of_values_is_a_row_error(tmp_path: Path) -> None:
    path = write(tmp_path, f"wallet,amount\n{ALICE},1,extra\n{BOB}\n")
    errors = batch_error(read_amounts, path, 0).errors
    assert [str(e) for e in errors] == [
        "row 1: has 3 values; the header has 2 columns",
        "row 2: has 1 values; the header has 2 columns",
    ]


# --- file-level problems ---------------------------------------------------------------


def test_missing_file_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        read_amounts(tmp_path / "absent.csv", 2)
    assert exc.value.field == "file"
    assert "does not exist" in exc.value.message


def test_a_directory_is_not_a_csv_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is a directory") as exc:
        read_amounts(tmp_path, 2)
    assert exc.value.field == "file"


def test_non_utf8_file_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("wallet,amount\nMüller,1\n".encode("latin-1"))
    with pytest.raises(UserError, match="not UTF-8") as exc:
        read_amounts(path, 2)
    assert exc.value.field == "file"


@pytest.mark.parametrize("text", ["", "\n\n", " , \n"])
def test_empty_file_is_a_file_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(UserError, match="is empty") as exc:
        read_amounts(write(tmp_path, text), 2)
    assert exc.value.field == "file"


def test_header_without_rows_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no data rows") as exc:
        read_investors(write(tmp_path, INVESTOR_HEADER + "\n\n"))
    assert exc.value.field == "file"


def test_missing_columns_are_named(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        read_investors(write(tmp_path, f"wallet,investor_id,category\n{ALICE},I,1\n"))
    assert exc.value.field == "header"
    assert "missing column(s) country, expiry" in exc.value.message
    assert INVESTOR_HEADER in exc.value.message


def test_unexpected_columns_are_named(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        read_amounts(write(tmp_path, f"wallet,amount,memo,\n{ALICE},1,x,\n"), 2)
    assert exc.value.field == "header"
    assert "unexpected column(s) memo, (blank)" in exc.value.message


def test_repeated_columns_are_named(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        read_amounts(write(tmp_path, f"wallet,amount,Amount\n{ALICE},1,2\n"), 2)
    assert "repeated column(s) amount" in exc.value.message


def test_unreadable_csv_is_a_file_error_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"wallet,amount\n{ALICE},1\n{'x' * 200_000},1\n")
    with pytest.raises(UserError) as exc:
        read_amounts(path, 2)
    assert exc.value.field == "file"
    assert "line 3: field larger than field limit" in exc.value.message
