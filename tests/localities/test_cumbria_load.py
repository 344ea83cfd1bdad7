"""The Cumbria tree loaded from the real public data."""

import csv
from collections import Counter

import pytest

from consortia.models import AuditEvent, Organisation, OrganisationKind
from localities.models import ListSizeSnapshot
from localities.services import DATA_DIR, cumbria_load

pytestmark = pytest.mark.django_db


def published_list_sizes() -> dict[str, int]:
    """Registered patients per practice, summed from the NHS BSA file by hand."""
    with (DATA_DIR / "cumbria_practice_list_sizes_2013_apr_jun.csv").open() as handle:
        return {
            row["Practice Code"]: sum(
                int(v) for k, v in row.items() if k.startswith(("Male", "Female"))
            )
            for row in csv.DictReader(handle)
        }


def test_nhs_cumbria_has_its_six_localities(cumbria):
    names = set(cumbria.children.values_list("name", flat=True))

    assert names == {
        "Allerdale",
        "Barrow-in-Furness",
        "Carlisle",
        "Copeland",
        "Eden",
        "South Lakeland",
    }
    assert cumbria.locality_level_name == "Locality"


def test_allerdale_runs_as_five_sub_localities(node):
    allerdale = node("5NE-ALL")

    subs = allerdale.children.filter(kind=OrganisationKind.SUB_LOCALITY)
    assert subs.count() == 5
    # every Allerdale practice sits in one of them
    assert not allerdale.children.filter(kind=OrganisationKind.PRACTICE).exists()


def test_every_practice_is_in_exactly_one_locality(cumbria):
    practices = Organisation.objects.filter(kind=OrganisationKind.PRACTICE)
    localities = {o.path: o for o in Organisation.objects.filter(kind=OrganisationKind.LOCALITY)}

    per_practice = Counter(
        p.code for p in practices for path in localities if p.path.startswith(path)
    )
    assert practices.count() == 82
    assert set(per_practice.values()) == {1}
    assert len(per_practice) == 82


def test_list_sizes_are_as_published(cumbria):
    published = {code: size for code, size in published_list_sizes().items() if size}

    stored = dict(ListSizeSnapshot.objects.values_list("practice__code", "registered_patients"))
    assert stored == published
    assert sum(stored.values()) == 522_395


def test_loading_twice_changes_nothing(cumbria):
    before = (
        Organisation.objects.count(),
        ListSizeSnapshot.objects.count(),
        AuditEvent.objects.count(),
    )

    cumbria_load()

    assert (
        Organisation.objects.count(),
        ListSizeSnapshot.objects.count(),
        AuditEvent.objects.count(),
    ) == before
