"""The import pipeline, driven through a small layout declared here: what every kind of file
gets from it (row-and-column errors, all or nothing, duplicates, revisions, limits, retention)."""

from __future__ import annotations

import io
import zipfile

import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from consortia.errors import ApplicationError
from consortia.imports.layouts import (
    CheckContext,
    Code,
    Column,
    Count,
    Layout,
    LoadResult,
    Money,
    Month,
    Rule,
    YesNo,
    layout_register,
    template_csv,
    template_xlsx,
)
from consortia.imports.models import FileKept, Upload, UploadStatus
from consortia.imports.services import upload_create, upload_files_expire, uploads_reap

LOADED: list[pl.DataFrame] = []


def _load(upload, batches, ctx) -> LoadResult:
    rows = 0
    for batch in batches:
        LOADED.append(batch)
        rows += batch.height
    return LoadResult(loaded=rows)


def _context(upload) -> CheckContext:
    return CheckContext(
        upload=upload,
        year=upload.year,
        month=upload.month,
        lookups={"practice": {"A82015": 11, "A82016": 12}},
    )


TOY = layout_register(
    Layout(
        kind="tests.toy",
        label="Toy activity",
        columns=(
            Column(
                "practice_code",
                Code(lookup="practice", what="practice"),
                example="A82015",
                aliases=("Practice Code",),
            ),
            Column("month", Month(), example="M1"),
            Column("items", Count(), example="3"),
            Column("cost", Money(), required=False, example="12.50"),
            Column("urgent", YesNo(), example="N"),
        ),
        output=("practice_code", "month", "items", "price"),
        derive=lambda ctx: [[pl.coalesce(pl.col("cost"), pl.col("items") * 100).alias("price")]],
        rules=lambda ctx: [
            Rule(
                "items",
                pl.col("urgent") & (pl.col("items") > 10),
                pl.format("{} urgent items in one row: at most 10.", pl.col("items")),
            )
        ],
        loader=_load,
        context=_context,
        unique_by=("practice_code", "month", "items", "price"),
        money_column="price",
        period="month",
    )
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    LOADED.clear()


def _upload(cumbria, text: str | bytes, *, name="toy.csv", month=1, revision_of=None):
    data = text.encode() if isinstance(text, str) else text
    return upload_create(
        actor=None,
        commissioner=cumbria,
        kind="tests.toy",
        file=SimpleUploadedFile(name, data),
        year=2010,
        month=month,
        revision_of=revision_of,
    )


def _refresh(upload) -> Upload:
    return Upload.objects.get(pk=upload.pk)


GOOD = 'practice_code,month,items,cost,urgent\nA82015,M1,3,12.50,N\na82016 ,2010-04,"1,200",,n\n'


def test_a_good_file_loads_every_row_with_its_control_total(
    cumbria, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, GOOD)
    upload = _refresh(upload)
    assert upload.status == UploadStatus.COMPLETE, upload.errors
    assert upload.rows_total == upload.rows_loaded == 2
    assert upload.total_pence == 1250 + 1200 * 100
    rows = pl.concat(LOADED).sort("row_number")
    assert rows["row_number"].to_list() == [2, 3]
    assert rows["practice_code"].to_list() == [11, 12]
    assert rows["month"].to_list() == [1, 1]
    assert rows["price"].to_list() == [1250, 120000]
    assert upload.file_kept == FileKept.KEPT


def test_every_error_is_named_by_row_and_column_and_nothing_loads(
    cumbria, django_capture_on_commit_callbacks
):
    text = (
        "urgent,items,practice_code,month,cost\n"  # another column order: matched by name
        "N,3,A82015,M1,12.50\n"
        "maybe,x,Z99999,M13,1.234\n"
        "Y,11,A82015,2011-04,\n"
        ",,,,\n"  # a blank line: not a row
        "N,,,,\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, text)
    upload = _refresh(upload)
    assert upload.status == UploadStatus.FAILED
    assert upload.rows_loaded == 0
    found = [(e["row"], e["column"], e["message"]) for e in upload.errors]
    assert found == [
        (3, "practice_code", "Unknown practice 'Z99999'."),
        (3, "month", "'M13' is not a month of 2010-11 (use 2010-04 or M1..M12)."),
        (3, "items", "'x' is not a whole number, 0 or more."),
        (3, "cost", "'1.234' is not an amount in pounds (0 or more, at most two decimal places)."),
        (3, "urgent", "'maybe' should be Y or N."),
        (4, "month", "'2011-04' is not a month of 2010-11 (use 2010-04 or M1..M12)."),
        (4, "items", "11 urgent items in one row: at most 10."),
        (6, "practice_code", "This cell is blank."),
        (6, "month", "This cell is blank."),
        (6, "items", "This cell is blank."),
    ]
    assert upload.error_count == len(found)
    assert "nothing was imported" in upload.message
    assert upload.file_kept == FileKept.DELETED and not upload.file


def test_errors_across_batches_are_all_counted_and_nothing_loads(
    cumbria, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BATCH_ROWS = 2
    lines = ["practice_code,month,items,cost,urgent"]
    lines += [f"A82015,M1,{n},,N" for n in range(1, 8)]
    lines[6] = "A82015,M1,bad,,N"  # row 7
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, "\n".join(lines) + "\n")
    upload = _refresh(upload)
    assert upload.status == UploadStatus.FAILED
    assert [(e["row"], e["column"]) for e in upload.errors] == [(7, "items")]
    assert upload.rows_total == 7


def test_duplicate_rows_are_named_with_the_row_they_repeat(
    cumbria, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BATCH_ROWS = 2
    text = "practice_code,month,items,urgent\nA82015,M1,3,N\nA82016,M1,3,N\nA82015,M1,4,N\na82015,m1,3,N\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, text)
    upload = _refresh(upload)
    assert upload.status == UploadStatus.FAILED
    assert upload.errors == [
        {"row": 5, "column": "", "message": "Duplicate of row 2: the same row twice."}
    ]
    assert upload.message == "1 duplicate row(s): nothing was imported."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("practice_code,month,items,urgent\n".encode("utf-16"), "UTF-16"),
        (
            "practice_code,month,items,urgent\nA82015,M1,3,N\nA82015,M1,4,Né\n".encode("latin-1"),
            "not UTF-8 text (row 3)",
        ),
        (b"practice_code,month\nA82015,M1\n", "required column(s) missing"),
        (b"practice_code,month,items,urgent\n", "header but no rows"),
    ],
)
def test_unreadable_files_say_why(cumbria, data, message, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, data)
    upload = _refresh(upload)
    assert upload.status == UploadStatus.FAILED
    assert message in upload.message or any(message in e["message"] for e in upload.errors)


def test_a_huge_cell_is_refused_by_its_rule_and_quoted_short(
    cumbria, django_capture_on_commit_callbacks
):
    text = "practice_code,month,items,urgent\n" + "A" * 1_000_000 + ",M1,3,N\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, text)
    upload = _refresh(upload)
    assert upload.status == UploadStatus.FAILED
    [error] = upload.errors
    assert error["row"] == 2 and error["column"] == "practice_code"
    assert len(error["message"]) < 80


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_xlsx_file_is_checked_like_a_csv(cumbria, django_capture_on_commit_callbacks):
    data = _xlsx(
        [
            ["Practice Code", "month", "items", "urgent"],
            ["A82015", "M2", 3, "N"],
            ["A82016", "M2", "x", "N"],
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, data, name="toy.xlsx", month=2)
    upload = _refresh(upload)
    assert [(e["row"], e["column"]) for e in upload.errors] == [(3, "items")]


def test_an_xlsx_zip_bomb_is_refused_before_it_is_inflated(
    cumbria, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_XLSX_INFLATED_BYTES = 10_000_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 5_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, out.getvalue(), name="bomb.xlsx")
    upload = _refresh(upload)
    assert upload.status == UploadStatus.FAILED
    assert "over the limit of 10 MB" in upload.message


def test_an_xlsx_over_the_row_limit_is_refused_naming_the_limit(
    cumbria, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_XLSX_ROWS = 3
    data = _xlsx(
        [["practice_code", "month", "items", "urgent"]]
        + [["A82015", "M1", n, "N"] for n in range(5)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, data, name="big.xlsx")
    upload = _refresh(upload)
    assert upload.status == UploadStatus.FAILED
    assert "more than 3 rows" in upload.message


def test_the_same_file_twice_and_an_unannounced_second_file_are_refused(
    cumbria, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _upload(cumbria, GOOD)
    with pytest.raises(ApplicationError, match="already imported"):
        _upload(cumbria, GOOD)
    second = GOOD.replace("12.50", "13.50")
    with pytest.raises(ApplicationError, match="If this file is a revision"):
        _upload(cumbria, second)
    with django_capture_on_commit_callbacks(execute=True):
        revision = _upload(cumbria, second, revision_of=first)
    assert _refresh(revision).status == UploadStatus.COMPLETE
    assert _refresh(first).status == UploadStatus.SUPERSEDED
    # a failed revision leaves the revised file current, and it can be revised again
    with django_capture_on_commit_callbacks(execute=True):
        bad = _upload(cumbria, GOOD.replace("12.50", "x"), revision_of=_refresh(revision))
    assert _refresh(bad).status == UploadStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        again = _upload(cumbria, GOOD.replace("12.50", "14.50"), revision_of=_refresh(revision))
    assert _refresh(again).status == UploadStatus.COMPLETE


def test_an_upload_whose_worker_died_is_failed_and_unblocks_the_month(cumbria, settings):
    import datetime as dt

    from django.utils import timezone

    upload = _upload(cumbria, GOOD)  # queued, never processed: no on_commit here
    later = timezone.now() + dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    assert uploads_reap(now=later) == [upload.pk]
    upload = _refresh(upload)
    assert upload.status == UploadStatus.FAILED and not upload.file
    _upload(cumbria, GOOD.replace("12.50", "15.00"))  # the month is free again


def test_kept_files_are_deleted_after_the_retention_period(
    cumbria, settings, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, GOOD)
    path = _refresh(upload).file.path
    assert upload_files_expire() == 0
    later = timezone.now() + dt.timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS + 1)
    assert upload_files_expire(now=later) == 1
    upload = _refresh(upload)
    assert upload.file_kept == FileKept.DELETED and not upload.file
    import os

    assert not os.path.exists(path)


def test_templates_come_from_the_declaration():
    assert template_csv(TOY).decode().splitlines() == ["practice_code,month,items,cost,urgent"]
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(template_xlsx(TOY)))
    assert [c.value for c in workbook["data"][1]] == [
        "practice_code",
        "month",
        "items",
        "cost",
        "urgent",
    ]
    assert workbook["data"].max_row == 1  # no example row that could be imported as data
    assert [c.value for c in workbook["columns"][2]] == [
        "practice_code",
        "required: ",
        "A82015",
        "Practice Code",
    ]


def test_blank_lines_are_not_rows(cumbria, django_capture_on_commit_callbacks):
    text = GOOD.replace("\na82016", "\n\n,,,,\n   \na82016") + "\n\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, text)
    upload = _refresh(upload)
    assert upload.status == UploadStatus.COMPLETE, upload.errors
    assert upload.rows_total == upload.rows_loaded == 2


def _upload_declared(cumbria, text, **declared):
    return upload_create(
        actor=None,
        commissioner=cumbria,
        kind="tests.toy",
        file=SimpleUploadedFile("toy.csv", text.encode()),
        year=2010,
        month=1,
        **declared,
    )


def test_a_file_must_match_the_control_totals_its_sender_declared(
    cumbria, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        wrong = _upload_declared(cumbria, GOOD, declared_rows=3, declared_total_pence=121_000)
    wrong = _refresh(wrong)
    assert wrong.status == UploadStatus.FAILED and wrong.rows_loaded == 0
    assert [e["message"] for e in wrong.errors] == [
        "The file has 2 rows of data; its control total says 3. Nothing was imported: check "
        "with the sender which is right.",
        "The file's rows add up to £1,212.50; its control total says £1,210.00. Nothing was "
        "imported: check with the sender which is right.",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        right = _upload_declared(
            cumbria, GOOD.replace("12.50", "12.51"), declared_rows=2, declared_total_pence=121_251
        )
    assert _refresh(right).status == UploadStatus.COMPLETE


def _broken_loader(upload, batches, ctx) -> LoadResult:
    for _ in batches:
        raise RuntimeError("a bug of ours")
    return LoadResult()


BROKEN = layout_register(
    Layout(
        kind="tests.broken",
        label="Broken",
        columns=TOY.columns,
        output=("practice_code",),
        loader=_broken_loader,
        context=_context,
        period="month",
    )
)


def test_a_fault_of_ours_fails_the_upload_and_says_so_never_leaving_it_running(
    cumbria, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload = upload_create(
            actor=None,
            commissioner=cumbria,
            kind="tests.broken",
            file=SimpleUploadedFile("toy.csv", GOOD.encode()),
            year=2010,
            month=1,
        )
    upload = _refresh(upload)
    assert upload.status == UploadStatus.FAILED
    assert upload.message.startswith("An unexpected error stopped the check: nothing was imported")
    assert upload.file_kept == FileKept.DELETED


def test_a_superseded_file_sent_again_as_a_revision_restores_it(
    cumbria, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _upload(cumbria, GOOD)
    with django_capture_on_commit_callbacks(execute=True):
        second = _upload(cumbria, GOOD.replace("12.50", "99.00"), revision_of=first)
    with pytest.raises(ApplicationError, match="If this file is a revision"):
        _upload(cumbria, GOOD)
    with django_capture_on_commit_callbacks(execute=True):
        again = _upload(cumbria, GOOD, revision_of=_refresh(second))

    assert _refresh(again).status == UploadStatus.COMPLETE
    assert _refresh(second).status == UploadStatus.SUPERSEDED


@pytest.mark.parametrize(
    ("data", "row", "message"),
    [
        (b"practice_code;month;items;urgent\nA82015;M1;3;N\n", 1, "separated by semicolons"),
        (b"practice_code,month,items,urgent,Items\nA82015,M1,3,N,4\n", 1,
         "The column 'items' appears more than once (columns C and E): keep one."),
        (b'practice_code,month,items,urgent\nA82015,M1,3,N\nA82016,M1,"4,N\nA82015,M2,5,N\n', 3,
         "a quote (\") may not be closed"),
    ],
)  # fmt: skip
def test_a_malformed_csv_is_refused_saying_where_and_what_to_do(
    cumbria, data, row, message, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, data)
    upload = _refresh(upload)
    assert upload.status == UploadStatus.FAILED
    [error] = upload.errors
    assert error["row"] == row and message in error["message"]
    assert "A82016" not in error["message"]  # no other row's data quoted back


def test_an_xlsx_formula_result_is_read_as_excel_shows_it(
    cumbria, django_capture_on_commit_callbacks
):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["practice_code", "month", "items", "cost", "urgent"])
    workbook.active.append(["A82015", "M1", 3, 10.1 * 3, "N"])  # a formula's cached 30.299999…
    out = io.BytesIO()
    workbook.save(out)
    with django_capture_on_commit_callbacks(execute=True):
        upload = _upload(cumbria, out.getvalue(), name="formula.xlsx")
    upload = _refresh(upload)
    assert upload.status == UploadStatus.COMPLETE, upload.errors
    assert upload.total_pence == 3030
