"""The instrument a token carries: identifiers checked on-chain at creation, one instrument per
ISIN, every instrument a proxy to the shared implementation, and its ERC-1643 documents."""

from __future__ import annotations

from functools import reduce
from typing import Any

import pytest
from eth_utils import function_signature_to_4byte_selector
from suite_data import ISIN, LEI, instrument_data
from unit.checks import (
    args_of,
    call_reverts_with,
    implementation_of,
    reverts_with,
    single_event,
)

from securities_rails.chain.contracts import token_at

OTHER_ISIN = "DE000BAY0017"
ISSUE = 1_700_000_000
ZERO = "0x0000000000000000000000000000000000000000"


def _roles(admin: Any) -> tuple[str, ...]:
    return (admin.address,) * 6


def _create(suite: Any, admin: Any, data: tuple[Any, ...], name: str = "Bond", symbol: str = "BD"):
    return suite.factory.createInstrument(name, symbol, data, _roles(admin), sender=admin)


def _with(field: str, value: Any, isin: str = OTHER_ISIN) -> tuple[Any, ...]:
    data = dict(
        zip(
            (
                "isin",
                "cfi",
                "currency",
                "decimals",
                "issueDate",
                "maturity",
                "issuerLei",
                "nominal",
            ),
            instrument_data(isin),
            strict=True,
        )
    )
    data[field] = value
    return tuple(data.values())


# ------------------------------------------------------------------ instrument data


def test_instrument_data_is_readable(token, registry):
    assert token.isin() == ISIN
    assert (token.name(), token.symbol(), token.decimals()) == (
        "Example AG ordinary shares",
        "EXAG",
        0,
    )
    data = token.instrument()
    assert bytes(data.isin) == ISIN.encode()
    assert bytes(data.cfi) == b"ESVUFR"
    assert bytes(data.currency) == b"EUR"
    assert bytes(data.issuerLei) == LEI.encode()
    assert (data.decimals, data.issueDate, data.maturity, data.nominalPerUnit) == (
        0,
        ISSUE,
        0,
        10**18,
    )
    assert token.registry() == registry.address


def test_a_bond_carries_its_decimals_and_maturity(suite, admin):
    data = instrument_data(OTHER_ISIN, decimals=2, issue_date=ISSUE, maturity=ISSUE + 1)
    _create(suite, admin, data)
    bond = token_at(suite.factory.tokenOf(OTHER_ISIN.encode()))
    assert bond.decimals() == 2
    assert bond.instrument().maturity == ISSUE + 1


@pytest.mark.parametrize(
    ("field", "value", "reported"),
    [
        ("isin", b"DE000BAY0018", "isin"),  # wrong check digit
        ("isin", b"de000bay0017", "isin"),  # lower case
        ("isin", b"1E000BAY0017", "isin"),  # digit in the country prefix
        ("isin", b"DE000BAY001A", "isin"),  # letter as check digit
        ("issuerLei", b"5493001KJTIIGC8Y1R13", "issuerLei"),  # wrong check digits
        ("issuerLei", b"5493001KJTIIGC8Y1RA2", "issuerLei"),  # letter in the check digits
        ("cfi", b"XSVUFR", "cfi"),  # no such category
        ("cfi", b"esvufr", "cfi"),
        ("currency", b"eur", "currency"),
        ("currency", b"E1R", "currency"),
        ("decimals", 19, "decimals"),
        ("issueDate", 0, "issueDate"),
        ("maturity", ISSUE - 1, "maturity"),  # before issue
        ("maturity", ISSUE, "maturity"),  # on the issue date
    ],
    ids=lambda v: v.decode() if isinstance(v, bytes) else str(v),
)
def test_malformed_instrument_data_is_refused(suite, admin, field, value, reported):
    with reverts_with("InvalidInstrument", field=reported):
        _create(suite, admin, _with(field, value))
    assert suite.factory.tokenOf(OTHER_ISIN.encode()) == ZERO


@pytest.mark.parametrize("role", ["admin", "issuer", "registrar", "enforcer", "pauser", "upgrader"])
def test_missing_role_holder_is_refused(suite, admin, role):
    roles = ["admin", "issuer", "registrar", "enforcer", "pauser", "upgrader"]
    holders = tuple(ZERO if r == role else admin.address for r in roles)
    with reverts_with("InvalidRoleHolder", role=role):
        suite.factory.createInstrument("B", "B", instrument_data(OTHER_ISIN), holders, sender=admin)


def test_one_instrument_per_isin(suite, token, admin):
    with reverts_with("InstrumentExists", isin=ISIN.encode(), token=token):
        _create(suite, admin, instrument_data(ISIN))


def test_every_instrument_is_a_proxy_to_the_shared_implementation(suite, token, admin, chain):
    created = []
    for isin in ("GB0002634946", "FR0000120271"):
        receipt = _create(suite, admin, instrument_data(isin), name=f"N {isin}", symbol=isin[:4])
        address = suite.factory.tokenOf(isin.encode())
        assert args_of(single_event(receipt, "InstrumentCreated")) == {
            "isin": isin.encode(),
            "token": address,
            "implementation": suite.token_implementation,
            "name": f"N {isin}",
            "symbol": isin[:4],
        }
        created.append(token_at(address))
    assert len({token.address, *(t.address for t in created)}) == 3
    for instrument in (token, *created):
        assert implementation_of(chain, instrument) == suite.token_implementation.lower()
    assert [t.isin() for t in created] == ["GB0002634946", "FR0000120271"]


def test_instruments_keep_separate_state(suite, holders, admin, alice):
    _create(suite, admin, instrument_data(OTHER_ISIN))
    other = token_at(suite.factory.tokenOf(OTHER_ISIN.encode()))
    other.mint(alice, 7, sender=admin)  # admin holds every role of this one
    assert (other.balanceOf(alice), other.totalSupply()) == (7, 7)
    assert (holders.balanceOf(alice), holders.totalSupply()) == (1000, 2000)


def test_token_supports_its_interfaces(token):
    declared = [
        "instrument()",
        "isin()",
        "registry()",
        "mint(address,uint256)",
        "batchMint(address[],uint256[])",
        "burn(address,uint256)",
        "batchBurn(address[],uint256[])",
        "forcedTransfer(address,address,uint256,string)",
        "recoverWallet(address,address)",
        "setAddressFrozen(address,bool)",
        "freezePartialTokens(address,uint256)",
        "unfreezePartialTokens(address,uint256)",
        "isFrozen(address)",
        "frozenTokens(address)",
        "pause()",
        "unpause()",
        "lifecycleState()",
        "setLifecycleState(uint8)",
        "syncMaturity()",
        "recordDates()",
        "setRecordDates(address)",
        "recordDateScheduled(uint40)",
    ]
    selectors = [int.from_bytes(function_signature_to_4byte_selector(s), "big") for s in declared]
    security_token_id = reduce(lambda a, b: a ^ b, selectors).to_bytes(4, "big")
    assert token.supportsInterface(security_token_id)
    assert token.supportsInterface(bytes.fromhex("7965db0b"))  # IAccessControl
    assert token.supportsInterface(bytes.fromhex("01ffc9a7"))  # ERC-165
    assert not token.supportsInterface(bytes.fromhex("ffffffff"))


# ------------------------------------------------------------------ ERC-1643 documents


def _name(text: str) -> bytes:
    return text.encode().ljust(32, b"\0")


PROSPECTUS, TERMS, REPORT = _name("prospectus"), _name("terms"), _name("annual-report-2024")
HASH_A, HASH_B = b"\xaa" * 32, b"\xbb" * 32


def test_set_document_stores_and_lists_it(token, issuer, chain):
    receipt = token.setDocument(PROSPECTUS, "ipfs://prospectus-v1", HASH_A, sender=issuer)
    assert args_of(single_event(receipt, "DocumentUpdated")) == {
        "name": PROSPECTUS,
        "uri": "ipfs://prospectus-v1",
        "documentHash": HASH_A,
    }
    uri, digest, modified = token.getDocument(PROSPECTUS)
    assert (uri, bytes(digest)) == ("ipfs://prospectus-v1", HASH_A)
    assert modified == chain.blocks[receipt.block_number].timestamp
    assert [bytes(n) for n in token.getAllDocuments()] == [PROSPECTUS]


def test_set_document_again_replaces_it(token, issuer, chain):
    token.setDocument(PROSPECTUS, "ipfs://prospectus-v1", HASH_A, sender=issuer)
    chain.mine(deltatime=3600)
    receipt = token.setDocument(PROSPECTUS, "ipfs://prospectus-v2", HASH_B, sender=issuer)
    uri, digest, modified = token.getDocument(PROSPECTUS)
    assert (uri, bytes(digest)) == ("ipfs://prospectus-v2", HASH_B)
    assert modified == chain.blocks[receipt.block_number].timestamp
    assert [bytes(n) for n in token.getAllDocuments()] == [PROSPECTUS]


def test_remove_document_keeps_the_others(token, issuer):
    for name, text in (
        (PROSPECTUS, "prospectus"),
        (TERMS, "terms"),
        (REPORT, "annual-report-2024"),
    ):
        token.setDocument(name, f"ipfs://{text}", HASH_A, sender=issuer)
    receipt = token.removeDocument(PROSPECTUS, sender=issuer)
    assert args_of(single_event(receipt, "DocumentRemoved")) == {
        "name": PROSPECTUS,
        "uri": "ipfs://prospectus",
        "documentHash": HASH_A,
    }
    assert sorted(bytes(n) for n in token.getAllDocuments()) == sorted([TERMS, REPORT])
    assert token.getDocument(TERMS)[0] == "ipfs://terms"
    assert token.getDocument(REPORT)[0] == "ipfs://annual-report-2024"
    token.removeDocument(REPORT, sender=issuer)  # the one moved into the freed place
    token.removeDocument(TERMS, sender=issuer)
    assert list(token.getAllDocuments()) == []
    token.setDocument(PROSPECTUS, "ipfs://prospectus-v3", HASH_B, sender=issuer)
    assert [bytes(n) for n in token.getAllDocuments()] == [PROSPECTUS]


def test_missing_document_is_not_found(token, issuer):
    call_reverts_with(token, "getDocument", [TERMS], "DocumentNotFound", name=TERMS)
    with reverts_with("DocumentNotFound", name=TERMS):
        token.removeDocument(TERMS, sender=issuer)


def test_removed_document_is_not_found(token, issuer):
    token.setDocument(TERMS, "ipfs://terms", HASH_A, sender=issuer)
    token.removeDocument(TERMS, sender=issuer)
    call_reverts_with(token, "getDocument", [TERMS], "DocumentNotFound", name=TERMS)


@pytest.mark.parametrize(("name", "uri"), [(b"\0" * 32, "ipfs://x"), (TERMS, "")])
def test_document_needs_a_name_and_a_uri(token, issuer, name, uri):
    with reverts_with("InvalidDocument", name=name):
        token.setDocument(name, uri, HASH_A, sender=issuer)
