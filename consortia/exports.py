"""CSV and XLSX downloads, shared by every app's exports.

Cells are written by type: numbers (int, Decimal) as numbers, text as text. Money is passed in
pounds as a Decimal with two places (`consortia.money.to_pounds`), so a spreadsheet can add it up.

CSV injection: a spreadsheet treats text starting with =, +, - or @ (or a tab or carriage return)
as a formula, so such text is prefixed with a single quote. Only text is neutralised: a negative
number is a number. In XLSX only text starting with = would become a formula; it is stored as a
plain string instead.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Sheet:
    """One worksheet of an XLSX download: a title (at most 31 characters), a header, rows."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]


def csv_cell(value: Any) -> Any:
    """A value as the csv module should write it: text neutralised, numbers left as numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # never "1E+2"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A UTF-8 CSV download (no byte-order mark: files feed other systems and our own
    imports; people who open downloads in Excel have the XLSX)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return _attachment(response, filename)


def _number_format(value: Decimal) -> str:
    """Show a Decimal with the places it carries: money (two places) as #,##0.00."""
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return "#,##0." + "0" * places if places else "#,##0"


def _xlsx_value(cell, value: Any) -> None:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # Excel has no time zones; we store local times
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XLSX cannot hold
    cell.value = value
    if isinstance(value, Decimal):
        cell.number_format = _number_format(value)
    elif isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula


def xlsx_workbook(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX file with one worksheet per `Sheet`, header bold and frozen."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=sheet.title[:31])
        for col, title in enumerate(sheet.header, start=1):
            cell = worksheet.cell(row=1, column=col)
            _xlsx_value(cell, title)
            cell.font = bold
        for r, row in enumerate(sheet.rows, start=2):
            for col, value in enumerate(row, start=1):
                _xlsx_value(worksheet.cell(row=r, column=col), value)
        worksheet.freeze_panes = "A2"
        for col, title in enumerate(sheet.header, start=1):
            letter = worksheet.cell(row=1, column=col).column_letter
            worksheet.column_dimensions[letter].width = max(12, min(60, len(str(title)) + 4))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> HttpResponse:
    """An XLSX download."""
    return _attachment(
        HttpResponse(xlsx_workbook(sheets), content_type=XLSX_CONTENT_TYPE), filename
    )
