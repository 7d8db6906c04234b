"""Errors a user can cause and fix; the CLI prints each one as a single line."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user: names the offending field and says what is wrong.

    ``str()`` gives ``"<field>: <message>"``, or just the message when there is no field.
    """

    def __init__(self, field: str | None, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def __str__(self) -> str:
        return self._render()


class RowError(UserError):
    """A bad value in one data row of a CSV file (``row`` is 1-based, header excluded).

    ``str()`` gives ``"row <n>, <field>: <message>"`` (``"row <n>: <message>"`` without a field).
    """

    def __init__(self, row: int, field: str | None, message: str) -> None:
        self.row = row
        super().__init__(field, message)

    def _render(self) -> str:
        if self.field:
            return f"row {self.row}, {self.field}: {self.message}"
        return f"row {self.row}: {self.message}"


class BatchError(UserError):
    """Every bad row of a CSV file, so the user can fix them all in one go.

    ``str()`` gives the count and the first ``SHOWN`` row errors, one per line.
    """

    SHOWN = 5

    def __init__(self, source: str, errors: list[RowError]) -> None:
        if not errors:
            raise ValueError("BatchError needs at least one RowError")
        self.source = source
        self.errors = list(errors)
        count = len(self.errors)
        noun = "row" if count == 1 else "rows"
        super().__init__(None, f"{source}: {count} bad {noun}")

    def _render(self) -> str:
        lines = [super()._render()]
        lines += [f"  {error}" for error in self.errors[: self.SHOWN]]
        hidden = len(self.errors) - self.SHOWN
        if hidden > 0:
            lines.append(f"  ... and {hidden} more")
        return "\n".join(lines)
