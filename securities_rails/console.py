"""Rich output for the CLI scripts: tables, progress bars, and one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from securities_rails.errors import UserError

# Outside a terminal (CI logs, pipes) rich would wrap at 80 columns and cut addresses.
console = Console(width=None if sys.stdout.isatty() else 160)


class UserErrorGroup(click.Group):
    """A click group whose commands fail with one line, `error: <field>: <why>`, and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as error:
            raise click.ClickException(str(error)) from None


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a table; numeric-looking columns are right-aligned by the caller's formatting."""
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column, justify="right" if column in _NUMERIC else "left")
    for row in rows:
        out.add_row(*(str(cell) for cell in row))
    console.print(out)


_NUMERIC = {"balance", "share", "gas", "amount", "units", "value"}


def fields(title: str, values: dict[str, str]) -> None:
    """Print name/value pairs as a two-column table."""
    table(title, ("field", "value"), list(values.items()))


def done(message: str) -> None:
    """Print a success line."""
    console.print(f"[green]✓[/green] {message}")


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar for batches; yields a function that advances it by n rows."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
