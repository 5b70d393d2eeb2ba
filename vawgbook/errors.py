"""Errors meant for people: what is wrong, in which file, where, and whose it is to fix.

Every error a user can cause or meet is a :class:`VawgbookError`, printed by the command line
as one line, ``error: FILE: what is wrong (row N, column C)``, with no traceback. The class
says whose it is to fix:

- :class:`InputError`: a data file (or a command-line value) is wrong: the analyst's input.
- :class:`ConfigError`: the KPI registry or a configuration file is wrong.
- :class:`BuildError`: a notebook or the book failed to build from good inputs: a defect or
  the machine, not the data.
"""

from __future__ import annotations

# What ends a line (as str.splitlines sees it). Text from the data (an offence code, a measure, a
# file name) may hold one; in an error it is shown escaped, so that the error stays one line.
_LINE_BREAKS = str.maketrans({c: repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"})


class VawgbookError(Exception):
    """An error for people: ``FILE: what is wrong (sheet S, row N, column C)``.

    ``row`` is the row as a spreadsheet or editor shows it (the header, or first line, is 1).
    """

    def __init__(
        self,
        file: object,
        message: str,
        row: int | None = None,
        column: str | None = None,
        sheet: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.message = message
        self.row = row
        self.column = column
        self.sheet = sheet
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        text = self.message + (f" ({', '.join(where)})" if where else "")
        return (f"{self.file}: {text}" if self.file else text).translate(_LINE_BREAKS)


class InputError(VawgbookError):
    """Bad input that stops a run: a data file, or a value given on the command line."""


class ConfigError(VawgbookError):
    """A KPI registry or configuration file that cannot be used (``row`` is its line)."""


class BuildError(VawgbookError):
    """A notebook or the book failed to build; the last good output was kept."""
