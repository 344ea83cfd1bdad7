"""Reads of the tree with populations, scoped by the permission module.

Each function runs a fixed number of queries whatever the size of the tree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import Action, can, filter_by_scope

from .models import AGE_BANDS, DeprivationScore, ListSizeBand, ListSizeSnapshot


def practices_with_list_size(
    queryset: QuerySet[Organisation], on: dt.date | None = None
) -> QuerySet[Organisation]:
    """Annotate practices with their latest registered list size on or before `on`."""
    on = on or timezone.localdate()
    latest = ListSizeSnapshot.objects.filter(practice=OuterRef("pk"), as_of__lte=on).order_by(
        "-as_of"
    )
    latest_need = DeprivationScore.objects.filter(practice=OuterRef("pk"), as_of__lte=on).order_by(
        "-as_of"
    )
    return queryset.filter(kind=OrganisationKind.PRACTICE).annotate(
        list_size=Subquery(latest.values("registered_patients")[:1]),
        list_size_as_of=Subquery(latest.values("as_of")[:1]),
        deprivation_score=Subquery(latest_need.values("score")[:1]),
    )


@dataclass
class TreeRow:
    node: Organisation
    practices: int = 0
    population: int = 0


@dataclass
class NodeView:
    node: Organisation
    ancestors: list[Organisation]
    rows: list[TreeRow]
    population: int
    practices: int
    level_names: dict[str, str] = field(default_factory=dict)


def level_names(commissioner: Organisation | None) -> dict[str, str]:
    """The commissioner's names for its levels (e.g. Place / Primary care network)."""
    return {
        OrganisationKind.COMMISSIONER: "Commissioner",
        OrganisationKind.LOCALITY: (commissioner and commissioner.locality_level_name)
        or OrganisationKind.LOCALITY.label,
        OrganisationKind.SUB_LOCALITY: (commissioner and commissioner.sub_locality_level_name)
        or OrganisationKind.SUB_LOCALITY.label,
        OrganisationKind.PRACTICE: OrganisationKind.PRACTICE.label,
    }


def organisation_view(*, user: User, node: Organisation) -> NodeView:
    """A node with its visible children, each with its practice count and registered population.

    Four queries: ancestors, children, practices beneath (with latest list sizes), commissioner.
    """
    prefixes = []
    parts = node.path.strip("/").split("/")
    for depth in range(1, len(parts)):
        prefixes.append("/" + "/".join(parts[:depth]) + "/")
    ancestors = [
        a
        for a in Organisation.objects.filter(path__in=prefixes).order_by("path")
        if can(user, Action.VIEW_ORGANISATION, a)
    ]
    children = list(
        filter_by_scope(node.children.all(), user, Action.VIEW_ORGANISATION).order_by("name")
    )
    practices = practices_with_list_size(
        filter_by_scope(
            Organisation.objects.filter(path__startswith=node.path),
            user,
            Action.VIEW_ORGANISATION,
        )
    ).values_list("path", "list_size")
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    population = count = 0
    for path, list_size in practices:
        count += 1
        population += list_size or 0
        child_code = path[len(node.path) :].split("/")[0]
        totals[child_code][0] += 1
        totals[child_code][1] += list_size or 0
    rows = [TreeRow(child, *totals[child.code]) for child in children]
    commissioner = Organisation.objects.filter(path="/" + node.commissioner_code + "/").first()
    return NodeView(
        node=node,
        ancestors=ancestors,
        rows=rows,
        population=population,
        practices=count,
        level_names=level_names(commissioner),
    )


def practice_population(*, practice: Organisation) -> dict:
    """A practice's list-size history and the sex/age breakdown of its latest snapshot."""
    snapshots = list(ListSizeSnapshot.objects.filter(practice=practice).order_by("-as_of"))
    bands = []
    if snapshots:
        rows = ListSizeBand.objects.filter(snapshot=snapshots[0]).values_list(
            "age_band", "sex", "patients"
        )
        by_band: dict[str, dict[str, int]] = defaultdict(dict)
        for band, sex, patients in rows:
            by_band[band][sex] = patients
        bands = [
            (band, by_band[band].get("M", 0), by_band[band].get("F", 0))
            for band in AGE_BANDS
            if band in by_band
        ]
    deprivation = list(DeprivationScore.objects.filter(practice=practice).order_by("-as_of"))
    return {"snapshots": snapshots, "bands": bands, "deprivation": deprivation}
