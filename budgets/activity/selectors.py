"""Reads for activity imports and reconciliation, scoped by the permission module."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from consortia.imports.models import Upload
from consortia.imports.selectors import upload_get_visible, uploads_visible_to
from consortia.models import Organisation, User
from consortia.permissions import Action, can, filter_by_scope

from .layouts import ACTIVITY_KINDS
from .models import (
    MonthClose,
    Position,
    Provider,
    ReconciliationRun,
    RunStatusReco,
)


def imports_visible_to(*, user: User) -> QuerySet[Upload]:
    return uploads_visible_to(user, kinds=ACTIVITY_KINDS)


def import_get_visible(*, user: User, pk) -> Upload:
    return upload_get_visible(user, pk, kinds=ACTIVITY_KINDS)


def providers_for(*, commissioner: Organisation) -> QuerySet[Provider]:
    return Provider.objects.filter(commissioner=commissioner)


def runs_visible_to(*, user: User) -> QuerySet[ReconciliationRun]:
    return filter_by_scope(
        ReconciliationRun.objects.all(), user, Action.VIEW_MONEY, "commissioner__"
    ).select_related("started_by", "commissioner")


def latest_run(
    *, commissioner: Organisation, year: int | None = None, month: int | None = None
) -> ReconciliationRun | None:
    runs = ReconciliationRun.objects.filter(
        commissioner=commissioner, status=RunStatusReco.SUCCEEDED
    )
    if year is not None:
        runs = runs.filter(year=year)
    if month is not None:
        runs = runs.filter(month=month)
    return runs.order_by("-year", "-month", "-finished_at").first()


def positions_for(*, user: User, node: Organisation, run: ReconciliationRun) -> dict:
    """A node's position (all lines) and its lines, and its children's totals (fixed queries).

    404 when the user may not see money for the node.
    """
    if not can(user, Action.VIEW_MONEY, node):
        raise Http404("No such organisation.")
    rows = list(
        Position.objects.filter(run=run, organisation__path__startswith=node.path).select_related(
            "organisation", "line"
        )
    )
    depth = node.path.count("/")
    own = [p for p in rows if p.organisation_id == node.pk]
    children = [
        p
        for p in rows
        if p.line_id is None
        and p.organisation.path.count("/") == depth + 1
        and can(user, Action.VIEW_MONEY, p.organisation)
    ]
    return {
        "total": next((p for p in own if p.line_id is None), None),
        "lines": sorted((p for p in own if p.line_id is not None), key=lambda p: p.line.order),
        "children": sorted(children, key=lambda p: p.organisation.name),
    }


def month_closes(*, commissioner: Organisation, year: int) -> dict[int, MonthClose]:
    return {
        c.month: c
        for c in MonthClose.objects.filter(
            commissioner=commissioner, year=year, reopened_at__isnull=True
        ).select_related("closed_by")
    }
