"""Outcomes: importing counts per area, measure and period (every row checked, all or nothing),
and the comparison of two periods by area beside the comparator — the Cumbria leaders' figures —
on the page, in downloads and from the API."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from consortia.errors import ApplicationError
from consortia.imports.models import Upload
from localities.demo import cumbria_outcomes_load
from localities.models import OutcomeCount
from localities.outcomes.services import (
    outcome_comparator_create,
    outcome_import_create,
    parse_period,
)

pytestmark = pytest.mark.django_db

HEADER = "area,measure,period,count\n"


@pytest.fixture
def outcomes(cumbria):
    return cumbria_outcomes_load()


@pytest.fixture
def as_user(client, person):
    def log_in(username):
        client.force_login(person(username))
        return client

    return log_in


def _file(text, name="counts.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _import(person, cumbria, text, name="counts.csv"):
    return outcome_import_create(
        actor=person("finance"), commissioner=cumbria, upload=_file(text, name)
    )


# --- The comparison ---------------------------------------------------------------------------


def test_the_demo_shows_the_comparisons_the_cumbria_leaders_made(as_user, outcomes):
    html = as_user("lead.carlisle").get("/outcomes/").content.decode()

    assert outcomes.status == "complete" and outcomes.rows_total == 64
    assert "Non-elective admissions: 2008-09 M1 to 2010-11 M1" in html
    assert "A&amp;E attendances: 2008-09 to 2009-10" in html
    assert "First outpatient appointments: 2008-09 M1 to 2010-11 M1" in html
    for cumbria, england in (("-2.0%", "+8.9%"), ("-13.0%", "+4.7%"), ("-5.0%", "+6.0%")):
        assert cumbria in html and england in html
    assert "Rest of England" in html and "Demo counts" in html


def test_each_locality_has_the_comparator_beside_it(person, cumbria, outcomes):
    from localities.outcomes.selectors import outcome_comparison

    data = outcome_comparison(
        user=person("lead.eden"), commissioner=cumbria, measures=["non_elective_admissions"]
    )
    [nel] = data["comparisons"]
    rows = {r.code: r for r in nel.rows}

    assert [r.code for r in nel.rows][0] == "5NE"  # the county first, then its localities
    assert str(rows["5NE"].change) == "-2.0" and str(nel.comparators[0].change) == "8.9"
    assert str(rows["5NE-EDE"].comparator_changes[0]) == "8.9"
    assert rows["5NE-EDE"].difference == rows["5NE-EDE"].change - Decimal("8.9")
    assert sum(r.after for r in nel.rows if r.kind == "locality") == rows["5NE"].after


def test_any_two_periods_can_be_compared(as_user, outcomes):
    html = (
        as_user("finance")
        .get("/outcomes/?measure=non_elective_admissions&before=2009-10+M1&after=2010-11+M1")
        .content.decode()
    )

    assert "Non-elective admissions: 2009-10 M1 to 2010-11 M1" in html
    assert "A&amp;E attendances:" not in html
    assert "-1.1%" in html  # Cumbria, 4,270 to 4,225


def test_a_wrong_period_says_how_to_write_one(as_user, outcomes):
    html = as_user("finance").get("/outcomes/?before=April+2010&after=2010-11+M1").content.decode()

    assert "There is a problem" in html
    assert "Write the period as a financial year (2009-10) or a month of one (2010-11 M1)." in html


@pytest.mark.parametrize(
    ("text", "period"),
    [("2009-10", (2009, 0)), ("2010-11 M1", (2010, 1)), ("2010-11 m12", (2010, 12))],
)
def test_periods_are_financial_years_or_their_months(text, period):
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["2009-11", "2010-11 M13", "2010", "M1 2010"])
def test_other_periods_are_refused(text):
    with pytest.raises(ValueError):
        parse_period(text)


# --- Imports ------------------------------------------------------------------------------------


def test_a_file_with_any_bad_row_imports_nothing_and_lists_every_problem(person, cumbria, outcomes):
    before = OutcomeCount.objects.count()
    record = _import(
        person,
        cumbria,
        HEADER
        + "5NE-CAR,non_elective_admissions,2011-12 M1,900\n"  # good
        + "5NE-XXX,non_elective_admissions,2011-12 M1,900\n"
        + "A82015,ae,2011-12,12\n"
        + "5NE-EDE,admissions,2011-12 M1,10\n"
        + "5NE-EDE,nel,April 2011,10\n"
        + "5NE-EDE,nel,2011-12 M1,ten\n"
        + "5ne-car,NEL,2011-12 M1,901\n",
    )

    assert record.status == "failed" and record.error_count == 6
    assert OutcomeCount.objects.count() == before
    problems = {(e["row"], e["column"]) for e in record.errors}
    assert problems == {(3, "area"), (4, "area"), (5, "measure"), (6, "period"), (7, "count"),
                        (8, "")}  # fmt: skip
    messages = " ".join(e["message"] for e in record.errors)
    assert (
        "A82015 is a practice" in messages
        and "Duplicate of row 2: the same area, measure and period twice" in messages
    )
    assert "Unknown area '5NE-XXX'" in messages and "ENG" in messages


def test_a_good_file_imports_and_a_later_one_replaces_the_same_counts(person, cumbria, outcomes):
    first = _import(person, cumbria, HEADER + "5NE-CAR,nel,2011-12 M1,900\n", "a.csv")
    second = _import(
        person, cumbria, HEADER + "5NE-CAR,nel,2011-12 M1,880\nENG,nel,2011-12 M1,460000\n", "b.csv"
    )

    assert (first.rows_loaded, first.rows_updated) == (1, 0)
    assert (second.rows_loaded, second.rows_updated) == (1, 1)
    count = OutcomeCount.objects.get(area="5NE-CAR", measure="non_elective_admissions", year=2011)
    assert count.count == 880 and count.upload == second


def test_the_same_file_twice_is_refused(person, cumbria, outcomes):
    from localities.services import DATA_DIR

    with pytest.raises(ApplicationError, match=f"already imported as #{outcomes.pk}"):
        _import(person, cumbria, (DATA_DIR / "DEMO_outcomes.csv").read_text(), "again.csv")


def test_loading_the_demo_twice_changes_nothing(cumbria, outcomes):
    assert cumbria_outcomes_load() == outcomes
    assert (
        Upload.objects.filter(kind="outcomes.counts").count() == 1
        and OutcomeCount.objects.count() == 64
    )


def test_finance_imports_a_file_in_the_browser_and_sees_errors_by_row(as_user, outcomes):
    client = as_user("finance")
    response = client.post(
        "/outcomes/imports/", {"file": _file(HEADER + "5NE-CAR,nel,2011-12 M1,x\n", "bad.csv")}
    )
    html = client.get(response["Location"]).content.decode()

    assert "1 problem: nothing was imported" in html
    assert "&#x27;x&#x27; is not a whole number" in html
    record = Upload.objects.get(original_name="bad.csv")
    report = client.get(f"/imports/{record.pk}/errors.csv").content.decode()
    assert report.splitlines()[1].startswith("2,count,")
    # Everyone who sees the outcome pages sees the same list (a practice member included).
    member = as_user("practice.a82015")
    assert member.get(f"/outcomes/imports/{record.pk}/").status_code == 200
    assert member.get(f"/imports/{record.pk}/errors.csv").content.decode() == report


def test_only_reference_data_keepers_import_outcomes(as_user, outcomes):
    client = as_user("lead.carlisle")

    assert "Import a file" not in client.get("/outcomes/imports/").content.decode()
    response = client.post("/outcomes/imports/", {"file": _file(HEADER + "5NE,nel,2011-12,1\n")})
    assert response.status_code == 403


# --- Downloads and API ----------------------------------------------------------------------------


def test_the_comparison_downloads_with_its_filters(as_user, outcomes):
    client = as_user("lead.eden")
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/outcomes/comparison.csv?measure=ae_attendances").content.decode()
            )
        )
    )

    assert rows[0][:9] == ["measure", "area code", "area", "kind", "period before",
                           "count before", "period after", "count after", "change %"]  # fmt: skip
    assert rows[1][:3] == ["A&E attendances", "5NE", "NHS Cumbria"] and rows[1][8] == "-13.0"
    assert {r[0] for r in rows[1:]} == {"A&E attendances"}
    assert rows[-1][1] == "ENG" and rows[-1][8] == "4.7"
    sheet = load_workbook(io.BytesIO(client.get("/outcomes/counts.xlsx?area=eng").content)).active
    assert sheet.max_row == 1 + 8  # ENG: three measures, eight periods in all


def test_text_in_downloads_is_neutralised_against_formula_injection(
    as_user, person, cumbria, outcomes
):
    outcome_comparator_create(
        actor=person("finance"), commissioner=cumbria, code="EVIL", name="=1+1"
    )
    _import(person, cumbria, HEADER + "EVIL,nel,2008-09 M1,1\nEVIL,nel,2010-11 M1,2\n")

    text = as_user("finance").get("/outcomes/counts.csv?area=EVIL").content.decode()

    assert "'=1+1" in text and ",=1+1" not in text


def test_the_api_lists_counts_compares_periods_and_imports_files(person, outcomes):
    api = APIClient()
    api.force_authenticate(person("finance"))

    counts = api.get("/api/outcomes/counts/?area=ENG&period=2010-11 M1").json()
    assert counts["count"] == 2
    assert {c["measure"] for c in counts["results"]} == {"non_elective_admissions",
                                                        "first_outpatient_appointments"}  # fmt: skip

    [ae] = api.get("/api/outcomes/comparison/?measure=ae_attendances").json()
    assert (ae["before"], ae["after"]) == ("2008-09", "2009-10")
    assert ae["areas"][0]["code"] == "5NE" and ae["areas"][0]["change_percent"] == "-13.0"
    assert ae["areas"][0]["comparator_change_percent"] == ["4.7"]
    assert ae["comparators"][0]["name"] == "Rest of England"

    bad = api.post("/api/outcomes/imports/", {"file": _file(HEADER + "5NE,nel,2011,1\n")})
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("1 problem: nothing was imported")
    assert bad.json()["extra"]["errors"][0]["column"] == "period"
    good = api.post("/api/outcomes/imports/", {"file": _file(HEADER + "5NE,nel,2011-12,1\n")})
    assert good.status_code == 201 and good.json()["rows_loaded"] == 1

    lead = APIClient()
    lead.force_authenticate(person("lead.carlisle"))
    refused = lead.post("/api/outcomes/imports/", {"file": _file(HEADER + "5NE,nel,2012-13,1\n")})
    assert refused.status_code == 403


def test_the_outcomes_page_runs_the_same_queries_whatever_the_number_of_counts(
    as_user, person, cumbria, outcomes
):
    client = as_user("lead.carlisle")
    client.get("/outcomes/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/outcomes/").status_code == 200

    rows = "".join(
        f"{area},{measure},{year}-{(year + 1) % 100:02d} M{month},{year + month}\n"
        for area in ("5NE", "5NE-CAR", "5NE-ALL-WOR", "ENG")
        for measure in ("nel", "ae", "opfa")
        for year in range(2000, 2008)
        for month in range(1, 13)
    )
    _import(person, cumbria, HEADER + rows)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/outcomes/").status_code == 200

    assert len(large) == len(small)
