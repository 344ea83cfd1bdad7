"""Local schemes and their savings; interests, conflicts and the public register."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.http import Http404

from consortia.models import Organisation, Role, RoleAssignment, User
from consortia.permissions import Action, filter_by_scope

from ..models import (
    ConflictJustification,
    Interest,
    LocalScheme,
    SchemeActivity,
)
from .rates import _locality_path


@dataclass
class SchemeRow:
    scheme: LocalScheme
    cases: int
    cost: int
    tariff_cost: int
    investment: int
    conflicts: list = field(default_factory=list)

    @property
    def saving(self) -> int:
        return self.tariff_cost - self.cost

    @property
    def net_saving(self) -> int:
        return self.saving - self.investment

    @property
    def percent_of_tariff(self) -> Decimal | None:
        if not self.tariff_cost:
            return None
        return (Decimal(self.cost) * 100 / Decimal(self.tariff_cost)).quantize(Decimal("0.1"))

    @property
    def needs_justification(self) -> bool:
        return any(c.justification is None for c in self.conflicts)


def schemes_visible_to(*, user: User):
    return filter_by_scope(
        LocalScheme.objects.all(), user, Action.VIEW_ORGANISATION, "commissioning_node__"
    ).select_related("commissioning_node", "provider", "registered_by")


def scheme_get_visible(*, user: User, pk: int) -> LocalScheme:
    scheme = schemes_visible_to(user=user).filter(pk=pk).first()
    if scheme is None:
        raise Http404("No such scheme.")
    return scheme


def scheme_savings(
    *, user: User, locality: Organisation | None = None, year: int | None = None
) -> list[SchemeRow]:
    """Each visible scheme (of `locality` and beneath, if given) with its cases, cost, the
    tariff those cases would have cost in hospital, the saving, cost as a % of tariff, the
    investment made, and any conflicts of interest. Fixed queries."""
    schemes = schemes_visible_to(user=user)
    if locality is not None:
        schemes = schemes.filter(commissioning_node__path__startswith=locality.path)
    schemes = list(schemes)
    activity = SchemeActivity.objects.filter(scheme__in=schemes)
    if year is not None:
        activity = activity.filter(year=year)
    sums = {
        sid: (cases or 0, cost or 0)
        for sid, cases, cost in activity.values_list("scheme_id").annotate(
            cases=Sum("cases"), cost=Sum("cost")
        )
    }
    conflicts = scheme_conflicts(schemes=schemes)
    rows = []
    for scheme in schemes:
        cases, cost = sums.get(scheme.pk, (0, 0))
        rows.append(
            SchemeRow(
                scheme=scheme,
                cases=cases,
                cost=cost,
                tariff_cost=cases * scheme.tariff_price,
                investment=scheme.investment,
                conflicts=conflicts.get(scheme.pk, []),
            )
        )
    return rows


def scheme_activity(*, scheme: LocalScheme) -> list[SchemeActivity]:
    return list(scheme.activity.order_by("year", "month"))


@dataclass
class Conflict:
    scheme: LocalScheme
    interest: Interest
    holder: str  # who holds the interest, and in what role
    justification: ConflictJustification | None


def _overlaps(start, end, other_start, other_end) -> bool:
    """Do [start, end) and [other_start, other_end) overlap (None end: open)?"""
    return (end is None or other_start < end) and (other_end is None or start < other_end)


def scheme_conflicts(*, schemes: list[LocalScheme]) -> dict[int, list[Conflict]]:
    """For each scheme, the interests in its provider held, while it runs, by a decision maker
    of the commissioning node: a locality or sub-locality lead GP at that node, above it (up to
    the locality) or beneath it, or a practice beneath it. Each with its justification, if
    recorded. Three queries whatever the number of schemes."""
    if not schemes:
        return {}
    interests = list(
        Interest.objects.filter(provider__in={s.provider_id for s in schemes}).select_related(
            "clinician", "practice", "provider"
        )
    )
    clinician_ids = {i.clinician_id for i in interests if i.clinician_id}
    roles = list(
        RoleAssignment.objects.filter(
            user_id__in=clinician_ids,
            role__in=[Role.LOCALITY_LEAD, Role.SUB_LOCALITY_LEAD],
        ).select_related("organisation")
    )
    justified = {
        (j.scheme_id, j.interest_id): j
        for j in ConflictJustification.objects.filter(scheme__in=schemes).select_related(
            "recorded_by"
        )
    }
    out: dict[int, list[Conflict]] = defaultdict(list)
    for scheme in schemes:
        node_path = scheme.commissioning_node.path
        locality_path = _locality_path(node_path)
        for interest in interests:
            if interest.provider_id != scheme.provider_id or not _overlaps(
                interest.declared_on, interest.ended_on, scheme.started_on, scheme.ended_on
            ):
                continue
            holder = None
            if interest.practice_id:
                if interest.practice.path.startswith(node_path):
                    holder = f"{interest.practice.name} (a practice of the locality)"
            else:
                for role in roles:
                    path = role.organisation.path
                    decides = path.startswith(node_path) or (
                        node_path.startswith(path) and path.startswith(locality_path)
                    )
                    if (
                        role.user_id == interest.clinician_id
                        and decides
                        and _overlaps(
                            role.starts_on, role.ends_on, scheme.started_on, scheme.ended_on
                        )
                    ):
                        holder = (
                            f"{interest.clinician}, {role.get_role_display()}, {role.organisation}"
                        )
                        break
            if holder:
                out[scheme.pk].append(
                    Conflict(scheme, interest, holder, justified.get((scheme.pk, interest.pk)))
                )
    return dict(out)


def interests_visible_to(*, user: User):
    """Every declared interest is public (the register); this is the same list for the pages."""
    return Interest.objects.select_related("clinician", "practice", "provider", "declared_by")


def public_register(*, commissioner: Organisation | None = None) -> dict:
    """The public register of interests: every declaration, and every scheme commissioned from a
    provider in which a decision maker has an interest, with the justification recorded (or that
    it is awaited). Needs no login. Fixed queries."""
    interests = Interest.objects.select_related("clinician", "practice", "provider").order_by(
        "provider__name", "-declared_on"
    )
    schemes = LocalScheme.objects.select_related("commissioning_node", "provider")
    if commissioner is not None:
        interests = interests.filter(provider__commissioner=commissioner)
        schemes = schemes.filter(commissioning_node__path__startswith=commissioner.path)
    schemes = list(schemes)
    conflicts = [c for rows in scheme_conflicts(schemes=schemes).values() for c in rows]
    return {"interests": list(interests), "conflicts": conflicts}
