"""Reading a CSV a chunk of bytes at a time: the batches hold exactly the rows a whole-file read
gives, with the row numbers a spreadsheet shows, however the chunks fall (inside a quoted cell
holding a newline, a comma or a doubled quote; on a blank line; on CRLF)."""

from __future__ import annotations

import polars as pl
import pytest

from consortia.imports import reading
from consortia.imports.layouts import Column, Layout, LoadResult, Text

LAYOUT = Layout(
    kind="tests.reading",
    label="Reading",
    columns=(Column("code", Text()), Column("note", Text(), required=False)),
    output=("code",),
    loader=lambda upload, batches, ctx: LoadResult(),
    context=lambda upload: None,
)


def _file(tmp_path, rows: list[str], newline: str = "\n"):
    path = tmp_path / "file.csv"
    path.write_bytes(newline.join(["extra,code,note", *rows, ""]).encode())
    return str(path)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("chunk", [7, 19, 64, 1 << 20])
def test_chunks_of_any_size_give_the_rows_of_a_whole_file_read(
    tmp_path, monkeypatch, chunk, newline
):
    rows = [
        f"x{n},C{n}," + ["plain", '"two\nlines"', '"a, b"', '"say ""hi"""', "", "é"][n % 6]
        for n in range(60)
    ]
    rows[17] = ""  # a blank line is a row (of blanks) to the reader, as to a spreadsheet
    path = _file(tmp_path, rows, newline)
    monkeypatch.setattr(reading, "CSV_MIN_CHUNK_BYTES", chunk)

    header, batches = reading.file_batches(path, "file.csv", LAYOUT, rows=5)
    frame = pl.concat(list(batches))

    whole = pl.read_csv(path, infer_schema=False).select("code", "note")
    assert header.positions == {"code": 1, "note": 2}
    assert frame["row_number"].to_list() == list(range(2, 62))
    assert frame.select("code", "note").equals(whole)
    assert frame.filter(pl.col("row_number") == 3)["note"].item() == "two\nlines"


def test_a_quote_never_closed_is_named_by_its_row(tmp_path, monkeypatch):
    path = _file(tmp_path, ["x,A1,ok", 'x,A2,"open', *[f"x,A{n},fine" for n in range(3, 40)]])
    monkeypatch.setattr(reading, "CSV_MIN_CHUNK_BYTES", 16)
    monkeypatch.setattr(reading, "CSV_MAX_RECORD_BYTES", 64)

    _, batches = reading.file_batches(path, "file.csv", LAYOUT, rows=5)
    with pytest.raises(reading.FileProblem, match="quote") as problem:
        list(batches)

    assert problem.value.error["row"] == 3
