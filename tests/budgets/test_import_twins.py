"""The set-based PostgreSQL import and the row-by-row Python import are twins: on the same file
they report the same problems (row, column, message) and load the same rows."""

import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from budgets.activity.services.imports import activity_import_create, activity_import_process
from budgets.models import ActivityRow
from tests.budgets.scenario import HOSPITAL_HEADER, build

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CHOICES = {
    "provider": ["RXX", "rxx", "RZZ", ""],
    "practice": ["Y00001", "y00002", "Z00009", ""],
    "month": [
        "M1",
        "m12",
        "2010-04",
        "2011-03",
        "2011-04",
        "M13",
        "M01",
        "2010-4",
        "2010-04x",
        "201a-04",
        "2010-13",
        "April",
        "",
    ],
    "pod": ["EL", "opfa", "NEL", "XX"],
    "code": ["AA11A", "130", "ZZ99Z"],
    "activity": ["1", "12", "1,200", "-1", "two", "1.5", "0012", "1 2", ""],
    "cost": ["", "", "10.50", "£1,000", "12.345", "abc", "1.5", ".5", "12.", "1.2.3", "-1", "0.05"],
    "flag": ["Y", "N", "yes", "maybe", ""],
}


def random_file(rng: random.Random, rows: int, valid_only: bool) -> str:
    lines = []
    for n in range(rows):
        pick = {k: v[: 2 if valid_only and k != "cost" else None] for k, v in CHOICES.items()}
        if valid_only:
            pick["month"], pick["cost"] = ["M1", "2010-05"], ["", "10.50", "£1,000"]
        row = [
            rng.choice(pick[k])
            for k in (
                "provider",
                "practice",
                "month",
                "pod",
                "code",
                "activity",
                "cost",
                "flag",
                "flag",
            )
        ]
        if valid_only:
            row[5] = str(n + 1)  # unique rows
            row[3], row[4] = "EL", "AA11A"
        lines.append(",".join(f'"{v}"' if "," in v else v for v in row))
    return HOSPITAL_HEADER + "\n".join(lines) + "\n"


def process(s, content: str, name: str, set_based: bool):
    record = activity_import_create(
        actor=s["finance"],
        commissioner=s["icb"],
        kind="hospital",
        year=2010,
        month=1,
        provider=s["provider"],
        upload=SimpleUploadedFile(name, content.encode()),
    )
    return activity_import_process(import_id=record.pk, set_based=set_based)


@pytest.mark.parametrize("seed", range(6))
def test_both_paths_report_the_same_problems(cumbria, seed):
    if connection.vendor != "postgresql":
        pytest.skip("The set-based path is PostgreSQL's.")
    s = build()
    content = random_file(random.Random(seed), 60, valid_only=False)

    python = process(s, content, "python.csv", set_based=False)
    sql = process(s, content, "sql.csv", set_based=True)

    assert python.status == sql.status == "failed"
    assert sql.errors == python.errors
    assert sql.error_count == python.error_count


def test_both_paths_load_the_same_rows(cumbria):
    if connection.vendor != "postgresql":
        pytest.skip("The set-based path is PostgreSQL's.")
    s = build()
    content = random_file(random.Random(99), 40, valid_only=True)

    python = process(s, content, "python.csv", set_based=False)
    python_rows = sorted(
        ActivityRow.objects.filter(activity_import_id=python.pk).values_list(
            "month", "organisation_id", "line_id", "provider_id", "pod", "code", "activity", "cost"
        )
    )
    ActivityRow.objects.filter(activity_import_id=python.pk).update(held=True)  # keep, set aside
    python.status = "superseded"
    python.save()
    sql = process(s, content + "\n", "sql.csv", set_based=True)

    assert python.error_count == sql.error_count == 0, (python.errors, sql.errors)
    assert (
        sorted(
            ActivityRow.objects.filter(activity_import_id=sql.pk).values_list(
                "month",
                "organisation_id",
                "line_id",
                "provider_id",
                "pod",
                "code",
                "activity",
                "cost",
            )
        )
        == python_rows
    )
    assert len(python_rows) == 40
