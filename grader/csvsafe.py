"""CSV that is safe to open in a spreadsheet.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read as a formula by Excel, LibreOffice and Google Sheets (OWASP "CSV injection"). Such a
cell is written with a leading apostrophe, which the spreadsheet shows as text. A cell that
is a plain number (``-1.5``, ``+2``, ``3e-4``) is left alone, so negative scores stay numbers.
Every CSV calcgrade writes goes through :func:`csv_text`, which ends lines with CRLF (RFC
4180), so that a carriage return or line feed inside a cell is always quoted.

>>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-1.5"), safe_cell("-1+1"), safe_cell(-2)
('\\'=HYPERLINK("http://x")', '-1.5', "'-1+1", -2)
>>> csv_text([["name", "total"], ["@SUM(A1)", -3]])
"name,total\\r\\n'@SUM(A1),-3\\r\\n"
"""

from __future__ import annotations

import csv
import io
import re
from typing import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def safe_cell(value):
    """``value`` neutralised if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable]) -> str:
    """Rows as CSV text (CRLF line ends), every text cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()
