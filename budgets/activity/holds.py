"""Payment held until the GP has the information, as the money pages show it.

The referrals app decides what is held (payment on information: a provider's activity cost for a
practice and month, in proportion to the clinic letters and discharge summaries overdue). Budgets
only shows it beside its positions and dashboards. Referrals sits above budgets (its models refer
to budgets' providers and tariff), so budgets does not import it: referrals registers the one
function it offers, `referrals.selectors.held_cells`, here when its app is ready
(referrals/apps.py). Without it nothing is held and the pages say the figures are not available.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.urls import NoReverseMatch, reverse

from consortia.models import Organisation, OrganisationKind, User

from .models import Provider

# held_cells(*, commissioner, year, month, path=None, user=None) -> cells, each with
# provider_id, practice_path, line_id and held (pence): provider × practice × month × line.
HeldCells = Callable[..., list[Any]]

_held_cells: HeldCells | None = None


def held_cells_register(function: HeldCells) -> None:
    """Called once by the referrals app when it is ready."""
    global _held_cells  # one source per process, set at start-up
    _held_cells = function


def _commissioner_of(node: Organisation) -> Organisation:
    if node.kind == OrganisationKind.COMMISSIONER:
        return node
    return Organisation.objects.get(path="/" + node.commissioner_code + "/")


def held_for_positions(*, node: Organisation, year: int, month: int) -> dict:
    """Held pence, year to date through `month`, keyed like the positions page's rows:
    (node id, None) the node's total, (node id, line id) its lines, (child id, None) each
    child's total. Empty when nothing provides holds. Three queries (children, and the cells)."""
    if _held_cells is None:
        return {}
    commissioner = _commissioner_of(node)
    children = dict(Organisation.objects.filter(parent=node).values_list("code", "id"))
    out: dict[tuple[int, int | None], int] = defaultdict(int)
    depth = node.path.count("/")
    for cell in _held_cells(commissioner=commissioner, year=year, month=month, path=node.path):
        out[(node.pk, None)] += cell.held
        out[(node.pk, cell.line_id)] += cell.held
        parts = cell.practice_path.split("/")
        child_code = parts[depth] if len(parts) > depth + 1 else None
        if child_code in children:
            out[(children[child_code], None)] += cell.held
    return dict(out)


def held_payments_for(
    *, user: User, commissioner: Organisation, year: int, month: int
) -> dict | None:
    """Payments held until the GP has the information, year to date, across the practices whose
    money `user` may see: the total and each provider's, most held first (None when nothing
    provides holds)."""
    if _held_cells is None:
        return None
    by_provider_id: dict[int, int] = defaultdict(int)
    for cell in _held_cells(commissioner=commissioner, year=year, month=month, user=user):
        by_provider_id[cell.provider_id] += cell.held
    providers = Provider.objects.in_bulk(list(by_provider_id))
    by_provider = sorted(
        ((providers[pk], held) for pk, held in by_provider_id.items() if held),
        key=lambda item: item[0].name,
    )
    try:
        url = reverse("referrals-held")
    except NoReverseMatch:
        url = None
    return {
        "total": sum(by_provider_id.values()),
        "by_provider": sorted(by_provider, key=lambda item: -item[1]),
        "url": url,
    }
