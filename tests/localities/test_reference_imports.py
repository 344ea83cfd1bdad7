"""Reference data finance refreshes from the published files, through the import pipeline:
NHS England's practice weighted populations and NHS BSA's quarterly list sizes (the real files,
in localities/data/), each refused by row and field when wrong, nothing applied."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from consortia.errors import ApplicationError
from consortia.imports.services import upload_receive
from localities.models import ListSizeSnapshot, WeightedPopulation
from localities.reference.layouts import BANDS, LIST_SIZES, WEIGHTED_POPULATIONS
from localities.services import DATA_DIR

pytestmark = pytest.mark.django_db
WP_FILE = DATA_DIR / "cumbria_practices_nhse_weighted_population_2022_23.csv"
LIST_FILE = DATA_DIR / "cumbria_practice_list_sizes_2013_apr_jun.csv"


def _receive(person, cumbria, kind, content: bytes, name: str, **period):
    return upload_receive(
        actor=person("finance"),
        commissioner=cumbria,
        kind=kind,
        file=SimpleUploadedFile(name, content),
        **period,
    )


def test_the_published_weighted_populations_import_exactly(person, cumbria, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = _receive(person, cumbria, WEIGHTED_POPULATIONS, WP_FILE.read_bytes(), WP_FILE.name,
                      year=2022)  # fmt: skip

    assert upload.status == "complete", upload.errors
    assert upload.rows_loaded == 63
    with WP_FILE.open(encoding="utf-8") as handle:
        published = {r["Practice_Code"]: r for r in csv.DictReader(handle)}
    stored = WeightedPopulation.objects.filter(year=2022).select_related("practice")
    assert {w.practice.code for w in stored} == set(published)
    for w in stored:
        row = published[w.practice.code]
        assert w.final == Decimal(row["Final WP"]).quantize(Decimal("0.000001"))
        assert w.population == Decimal(row["pop 2022/23"]).quantize(Decimal("0.000001"))
        assert w.registered_patients == int(row["Patients"])
    assert sum(w.final for w in stored) == sum(
        Decimal(r["Final WP"]).quantize(Decimal("0.000001")) for r in published.values()
    )


def test_a_weighted_population_file_with_a_bad_row_applies_nothing(
    person, cumbria, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    lines = WP_FILE.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[0], "Z99999", 1)  # an unknown practice
    header = next(csv.reader([lines[0]]))
    row = next(csv.reader([lines[7]]))
    row[header.index("Final WP")] = "-12.5"  # a negative population
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    lines[7] = out.getvalue().rstrip("\n")

    upload = _receive(person, cumbria, WEIGHTED_POPULATIONS, "\n".join(lines).encode(), "bad.csv",
                      year=2022)  # fmt: skip

    assert upload.status == "failed"
    assert [(e["row"], e["column"]) for e in upload.errors] == [(4, "practice_code"), (8, "final")]
    assert upload.errors[0]["message"] == "Unknown practice 'Z99999'."
    assert not WeightedPopulation.objects.exists()


def test_the_nhs_bsa_list_sizes_import_for_a_stated_date(person, cumbria, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    july = dt.date(2013, 7, 1)
    upload = _receive(person, cumbria, LIST_SIZES, LIST_FILE.read_bytes(), LIST_FILE.name,
                      as_of=july)  # fmt: skip

    assert upload.status == "complete", upload.errors
    assert upload.rows_loaded == 82
    assert "6 rows of organisations outside the tree, with nothing to record, skipped" in (
        upload.message
    )
    snapshots = ListSizeSnapshot.objects.filter(as_of=july)
    assert snapshots.aggregate(total=Sum("registered_patients"))["total"] == 522_395
    assert snapshots.filter(upload=upload).count() == 82


def test_list_sizes_that_contradict_the_dates_figures_or_their_total_are_refused(
    person, cumbria, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    before = ListSizeSnapshot.objects.count()
    text = LIST_FILE.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([text[0]]))
    rows = [next(csv.reader([line])) for line in text[1:]]
    first = next(i for i, r in enumerate(rows) if r[header.index("Practice Code")].startswith("A"))
    rows[first][header.index("Male 0-4")] = str(int(rows[first][header.index("Male 0-4")]) + 7)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)

    # The demo holds this quarter's figures (1 April 2013): another figure for it is refused.
    altered = _receive(person, cumbria, LIST_SIZES, out.getvalue().encode(), "altered.csv",
                       as_of=dt.date(2013, 4, 1))  # fmt: skip

    assert altered.status == "failed"
    assert [(e["row"], e["column"]) for e in altered.errors] == [(first + 2, "practice_code")]
    assert (
        "already has list sizes for 01 Apr 2013 with other figures" in altered.errors[0]["message"]
    )
    assert ListSizeSnapshot.objects.count() == before

    columns = [column for _, _, column in BANDS]
    good = ["A82015", *(["10"] * len(columns)), str(10 * len(columns))]
    short = ["A82016", *(["10"] * len(columns)), "999"]  # the bands do not add up to it
    negative = ["A82017", "-1", *(["10"] * (len(columns) - 1)), ""]
    template = "\n".join(
        ",".join(r)
        for r in (["practice_code", *columns, "registered_patients"], good, short, negative)
    )
    totals = _receive(person, cumbria, LIST_SIZES, template.encode(), "template.csv",
                      as_of=dt.date(2013, 10, 1))  # fmt: skip

    assert totals.status == "failed"
    assert [(e["row"], e["column"], e["message"]) for e in totals.errors] == [
        (
            3,
            "registered_patients",
            f"The age bands add up to {10 * len(columns)}; the total says 999.",
        ),
        (4, "male_0_4", "'-1' is not a whole number, 0 or more."),
    ]
    assert ListSizeSnapshot.objects.count() == before


def test_a_reference_file_needs_its_date_or_year(person, cumbria):
    with pytest.raises(ApplicationError, match="Give the date"):
        _receive(person, cumbria, LIST_SIZES, LIST_FILE.read_bytes(), "x.csv")
    with pytest.raises(ApplicationError, match="financial year"):
        _receive(person, cumbria, WEIGHTED_POPULATIONS, WP_FILE.read_bytes(), "y.csv")


def test_finance_imports_a_reference_file_on_the_page_and_a_lead_may_not(
    client, person, cumbria, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(person("finance"))
    page = client.get("/reference/").content.decode()
    assert "Weighted populations (NHS England)" in page and "reference.list_sizes" in page

    response = client.post(
        "/reference/",
        {"kind": WEIGHTED_POPULATIONS, "year": "2022",
         "file": SimpleUploadedFile(WP_FILE.name, WP_FILE.read_bytes())},
    )  # fmt: skip
    html = client.get(response["Location"]).content.decode()
    assert "63 rows imported" in html
    refused = client.post(
        "/reference/",
        {"kind": LIST_SIZES, "file": SimpleUploadedFile("l.csv", LIST_FILE.read_bytes())},
    )
    assert refused.status_code == 400
    assert "Give the date the file" in refused.content.decode()

    client.force_login(person("lead.carlisle"))
    assert client.get("/reference/").status_code == 403
    assert client.post("/reference/", {"kind": LIST_SIZES}).status_code == 403


def test_the_api_imports_a_reference_file_and_reports_its_rows(person, cumbria, settings, tmp_path):
    from rest_framework.test import APIClient

    settings.MEDIA_ROOT = tmp_path
    api = APIClient()
    api.force_authenticate(person("finance"))
    created = api.post(
        "/api/reference-files/",
        {"kind": WEIGHTED_POPULATIONS, "year": 2022,
         "file": SimpleUploadedFile(WP_FILE.name, WP_FILE.read_bytes())},
        format="multipart",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert (created.json()["rows_loaded"], created.json()["status"]) == (63, "complete")
    bad = api.post(
        "/api/reference-files/",
        {"kind": LIST_SIZES, "as_of": "2013-10-01",
         "file": SimpleUploadedFile("bad.csv", b"Practice Code,Male 0-4\nA82015,10\n")},
        format="multipart",
    )  # fmt: skip
    assert bad.status_code == 400
    assert {e["column"] for e in bad.json()["extra"]["errors"]} >= {"female_0_4"}
    listed = api.get("/api/reference-files/").json()
    assert [u["kind"] for u in listed["results"]] == [LIST_SIZES, WEIGHTED_POPULATIONS]

    lead = APIClient()
    lead.force_authenticate(person("lead.carlisle"))
    assert lead.get("/api/reference-files/").json()["results"] == []
    refused = lead.post(
        "/api/reference-files/",
        {"kind": LIST_SIZES, "as_of": "2013-10-01",
         "file": SimpleUploadedFile("x.csv", LIST_FILE.read_bytes())},
        format="multipart",
    )  # fmt: skip
    assert refused.status_code == 403
