"""Cells of the CSV files admins open in a spreadsheet (report tables, the knowledge base).

Text that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking) is read by Excel, LibreOffice and Google Sheets as a formula:
a caller's question or an agent's name could then run ``=HYPERLINK(...)`` or worse on an
admin's machine (CSV injection). OWASP's rule: such a cell gets a leading single quote, which
spreadsheets show as text. Numbers stay numbers: only text is changed, and a negative number
written by the program is not a formula.

A file exported here and imported again (the knowledge base) drops that quote on the way in.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs: text that would start a formula
    gets a leading ``'``; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unquoted_cell(text: str) -> str:
    """The cell's text before ``safe_cell`` changed it (for a file read back in)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text
