"""Reading an uploaded file as batches of text columns, within the size limits.

A CSV is streamed by polars in batches (memory stays flat whatever the file's length); an XLSX
is streamed by openpyxl in read-only mode after its zip directory is checked, so a zip bomb is
refused before anything is inflated. Every cell arrives as text; the layout's types parse it.
Row numbers are those a spreadsheet shows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
from django.conf import settings

from .layouts import Layout

FIRST_DATA_ROW = 2
CSV_MIN_CHUNK_BYTES = 1024 * 1024  # a CSV is read a batch's worth of bytes at a time, at least
CSV_MAX_RECORD_BYTES = 64 * 1024 * 1024  # a row longer than this: a quote is never closed
NOT_UTF8 = (
    "The file is not UTF-8 text{where}. In Excel choose 'Save As' > 'CSV UTF-8 (Comma "
    "delimited)', then upload it again."
)


class FileProblem(Exception):
    """The file as a whole cannot be read: the error names the row (if any) and what to do."""

    def __init__(self, message: str, *, row: int = 1, column: str = ""):
        super().__init__(message)
        self.error = {"row": row, "column": column, "message": message}


def normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").strip().lower())


@dataclass
class Header:
    """Which of the file's columns holds each of the layout's (by position)."""

    positions: dict[str, int]
    missing: list[str]


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def header_match(layout: Layout, names: list[str]) -> Header:
    """Match the file's header to the layout's columns, by name or published alias, in any
    order. A column named twice is refused (which one holds the data?)."""
    found = [normalise_header(str(n or "")) for n in names]
    if len(found) == 1 and ";" in found[0]:
        raise FileProblem(
            "The columns are separated by semicolons (;), not commas. In Excel choose 'Save As' "
            "> 'CSV UTF-8 (Comma delimited)', then upload it again."
        )
    positions: dict[str, int] = {}
    for column in layout.columns:
        accepted = {normalise_header(column.name), *(normalise_header(a) for a in column.aliases)}
        matches = [index for index, name in enumerate(found) if name in accepted]
        if len(matches) > 1:
            where = " and ".join(_column_letter(i) for i in matches)
            raise FileProblem(
                f"The column '{column.name}' appears more than once (columns {where}): keep one.",
                column=column.name,
            )
        if matches:
            positions[column.name] = matches[0]
    missing = [c.name for c in layout.columns if c.required and c.name not in positions]
    return Header(positions, missing)


def is_xlsx(name: str) -> bool:
    return name.lower().endswith(".xlsx")


# --- CSV --------------------------------------------------------------------------------------


def _sniff_encoding(path: str) -> None:
    with open(path, "rb") as raw:
        start = raw.read(4096)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        len(start) > 3 and start.count(b"\x00") > len(start) // 4
    ):
        raise FileProblem(
            "The file is UTF-16 text (Excel's 'Unicode Text'). In Excel choose 'Save As' > "
            "'CSV UTF-8 (Comma delimited)', then upload it again."
        )


def _first_non_utf8_row(path: str) -> int | None:
    """The row (1 = header) holding the first byte that is not UTF-8, reading in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    row = 1
    with open(path, "rb") as raw:
        for chunk in iter(lambda: raw.read(1024 * 1024), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return row + chunk[: exc.start].count(b"\n")
            row += chunk.count(b"\n")
    return None


def _first_unreadable_row(path: str) -> int | None:
    """The row (1 = header) where Python's strict CSV reader first fails, if it does."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        row = 0
        try:
            for _ in reader:
                row += 1
        except csv.Error:
            return row + 1
    return None


def _csv_header(path: str) -> list[str]:
    with open(path, "rb") as raw:
        first = raw.readline(settings.IMPORT_MAX_HEADER_BYTES + 1)
    if len(first) > settings.IMPORT_MAX_HEADER_BYTES:
        raise FileProblem(
            f"The first row is longer than {settings.IMPORT_MAX_HEADER_BYTES:,} characters: "
            "it should be the header (the column names of the template)."
        )
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(NOT_UTF8.format(where=" (row 1)")) from exc
    return next(csv.reader([text]), [])


def _record_end(data: bytes) -> int:
    """Where the last whole record of `data` ends (after its newline): a newline inside quotes
    does not end a record. 0 if none does."""
    end = data.rfind(b"\n") + 1
    quotes = data.count(b'"', 0, end)
    while end and quotes % 2:  # that newline is inside a quoted cell: the one before?
        previous = data.rfind(b"\n", 0, end - 1) + 1
        quotes -= data.count(b'"', previous, end)
        end = previous
    return end


def _csv_chunks(path: str, size: int) -> Iterator[bytes]:
    """The file's records after the header, a chunk of whole records at a time."""
    with open(path, "rb") as raw:
        raw.readline()  # the header: read by _csv_header
        carry = b""
        while chunk := raw.read(size):
            data = carry + chunk
            end = _record_end(data)
            if not end and len(data) < CSV_MAX_RECORD_BYTES:
                carry = data  # one record longer than a chunk: read on
                continue
            end = end or len(data)  # a quote never closed: the parser names the row
            yield data[:end]
            carry = data[end:]
        if carry.strip():
            yield carry


def _csv_batches(path: str, header: list[str], wanted: dict[str, int], rows: int):
    """Batches of about `rows` rows. The file is read a chunk of bytes at a time and each chunk
    parsed by polars on its own, so memory holds one batch, never the file (a lazy scan of the
    whole file maps it and counts its rows first)."""
    names = [f"c{i}" for i in range(len(header))]
    schema = dict.fromkeys(names, pl.String)
    size = min(max(rows * _bytes_per_row(path), CSV_MIN_CHUNK_BYTES), CSV_MAX_RECORD_BYTES)
    number = FIRST_DATA_ROW
    try:
        for chunk in _csv_chunks(path, size):
            frame = pl.read_csv(
                chunk,
                has_header=False,
                schema=schema,
                columns=sorted(set(wanted.values())),
                truncate_ragged_lines=True,
                encoding="utf8",
                quote_char='"',
            )
            yield frame.select(
                pl.int_range(number, number + frame.height, dtype=pl.Int64).alias("row_number"),
                *(pl.col(names[index]).alias(column) for column, index in wanted.items()),
            )
            number += frame.height
    except pl.exceptions.PolarsError as exc:
        if "utf-8" in str(exc).lower() or "utf8" in str(exc).lower():
            row = _first_non_utf8_row(path)
            raise FileProblem(
                NOT_UTF8.format(where=f" (row {row})" if row else ""), row=row or 1
            ) from exc
        row = _first_unreadable_row(path)
        raise FileProblem(
            "The CSV could not be read"
            + (f" from row {row}" if row else "")
            + ': a quote (") may not be closed, or a row may be broken across lines. Open the '
            "file in a spreadsheet, check that row, and save it again as CSV UTF-8.",
            row=row or 1,
        ) from exc


def _bytes_per_row(path: str) -> int:
    """About how long a row is, from the first lines (at least 16 bytes)."""
    with open(path, "rb") as raw:
        sample = raw.read(256 * 1024)
    return max(len(sample) // max(sample.count(b"\n"), 1), 16)


# --- XLSX -------------------------------------------------------------------------------------


def _xlsx_guard(path: str) -> None:
    """Refuse a workbook whose contents inflate beyond the limit (a zip bomb), before reading."""
    limit = settings.IMPORT_MAX_XLSX_INFLATED_BYTES
    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise FileProblem("This is not a readable XLSX workbook.") from exc
    if inflated > limit:
        raise FileProblem(
            f"The workbook unpacks to {inflated / 2**20:,.0f} MB, over the limit of "
            f"{limit / 2**20:,.0f} MB for XLSX files. Send large files as CSV."
        )


def _cell(value) -> str:
    """An XLSX cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, float):
        # A formula's cached result is a binary float (30.299999999999997 for =10.1*3): round
        # away the representation error, as Excel shows it, before the column's rule reads it.
        value = round(value, 9)
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    if hasattr(value, "hour") and (value.hour or value.minute):
        return value.strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _xlsx_rows(path: str) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    _xlsx_guard(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileProblem("This is not a readable XLSX workbook.") from exc
    try:
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        workbook.close()


def _xlsx_batches(rows_iter: Iterator[list[str]], wanted: dict[str, int], rows: int):
    limit = settings.IMPORT_MAX_XLSX_ROWS
    number = FIRST_DATA_ROW - 1
    batch: dict[str, list] = {"row_number": [], **{c: [] for c in wanted}}
    for values in rows_iter:
        number += 1
        if number - 1 > limit:
            raise FileProblem(
                f"The workbook has more than {limit:,} rows, the limit for XLSX files. "
                "Send large files as CSV.",
                row=number,
            )
        batch["row_number"].append(number)
        for column, index in wanted.items():
            batch[column].append(values[index] if index < len(values) else "")
        if len(batch["row_number"]) >= rows:
            yield pl.DataFrame(
                batch, schema={"row_number": pl.Int64, **dict.fromkeys(wanted, pl.String)}
            )
            batch = {"row_number": [], **{c: [] for c in wanted}}
    if batch["row_number"]:
        yield pl.DataFrame(
            batch, schema={"row_number": pl.Int64, **dict.fromkeys(wanted, pl.String)}
        )


# --- Either -----------------------------------------------------------------------------------


def file_batches(
    path: str, name: str, layout: Layout, *, rows: int | None = None
) -> tuple[Header, Iterator[pl.DataFrame]]:
    """The file's header matched to the layout, and its data rows in batches of text columns
    (`row_number` first, then one column per layout column found in the file)."""
    rows = rows or settings.IMPORT_BATCH_ROWS
    if is_xlsx(name):
        sheet = _xlsx_rows(path)
        header = header_match(layout, next(sheet, []))
        return header, _xlsx_batches(sheet, header.positions, rows)
    _sniff_encoding(path)
    names = _csv_header(path)
    header = header_match(layout, names)
    if header.missing:
        return header, iter(())
    return header, _csv_batches(path, names, header.positions, rows)


def estimate_rows(path: str, name: str) -> int | None:
    """About how many data rows a CSV has, from its size and its first lines (for progress)."""
    if is_xlsx(name):
        return None
    with open(path, "rb") as raw:
        sample = raw.read(256 * 1024)
        size = raw.seek(0, io.SEEK_END)
    lines = sample.count(b"\n")
    if not lines:
        return None
    return max(round(size / (len(sample) / lines)) - 1, 0)
