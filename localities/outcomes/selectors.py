"""Reads for outcomes: what a person may see, the periods held, and the comparison the Cumbria
leaders made (Practice Makes Perfect, Demos 2010: non-elective admissions, A&E attendances and first
outpatient appointments, Cumbria against the rest of England) — each area's counts in two periods
and the percentage change, with the comparator's change beside it.

Outcome counts are population statistics for areas, not about any practice or patient: anyone who
holds a role in a commissioner sees all of its areas' counts. Fixed queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.http import Http404

from consortia.imports.models import Upload
from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import Action, grants_for

from .layouts import KIND
from .models import OutcomeCount, OutcomeMeasure, period_label

Period = tuple[int, int]  # (financial year, month: 0 for the whole year)


def _commissioner_paths(user: User) -> set[str]:
    return {
        "/" + grant.path.strip("/").split("/")[0] + "/"
        for grant in grants_for(user, Action.VIEW_ORGANISATION)
    }


def outcome_commissioners_for(*, user: User) -> list[Organisation]:
    """The commissioners in which `user` holds a role (usually one)."""
    paths = _commissioner_paths(user)
    if not paths:
        return []
    return list(
        Organisation.objects.filter(path__in=paths, kind=OrganisationKind.COMMISSIONER).order_by(
            "path"
        )
    )


def outcome_counts_visible_to(*, user: User) -> QuerySet[OutcomeCount]:
    return OutcomeCount.objects.filter(
        commissioner__path__in=_commissioner_paths(user)
    ).select_related("commissioner", "organisation", "comparator")


def outcome_imports_visible_to(*, user: User) -> QuerySet[Upload]:
    return Upload.objects.filter(
        kind=KIND, commissioner__path__in=_commissioner_paths(user)
    ).select_related("uploaded_by", "commissioner")


def outcome_import_get_visible(*, user: User, pk: int) -> Upload:
    record = outcome_imports_visible_to(user=user).filter(pk=pk).first()
    if record is None:
        raise Http404("No such import.")
    return record


def percent_change(before: int | None, after: int | None) -> Decimal | None:
    """(after - before) ÷ before × 100, to one decimal place (half up); None without a base."""
    if before is None or after is None or before == 0:
        return None
    return (Decimal(after - before) * 100 / Decimal(before)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


@dataclass
class AreaChange:
    code: str
    name: str
    kind: str  # commissioner, locality, sub_locality or comparator
    before: int | None
    after: int | None
    comparator_changes: list[Decimal | None] = field(default_factory=list)

    @property
    def change(self) -> Decimal | None:
        return percent_change(self.before, self.after)

    @property
    def difference(self) -> Decimal | None:
        """Percentage points above (+) or below (-) the first comparator's change."""
        if self.change is None or not self.comparator_changes or self.comparator_changes[0] is None:
            return None
        return self.change - self.comparator_changes[0]


@dataclass
class MeasureComparison:
    measure: str
    before: Period | None
    after: Period | None
    rows: list[AreaChange]  # the commissioner, then each locality and its sub-localities
    comparators: list[AreaChange]

    @property
    def label(self) -> str:
        return OutcomeMeasure(self.measure).label

    @property
    def before_label(self) -> str:
        return period_label(*self.before) if self.before else ""

    @property
    def after_label(self) -> str:
        return period_label(*self.after) if self.after else ""

    @property
    def chart_id(self) -> str:
        return f"chart-data-{self.measure}"

    def chart(self) -> dict:
        areas = [r for r in self.rows + self.comparators if r.change is not None]
        return {
            "labels": [r.name + (" (comparator)" if r.kind == "comparator" else "") for r in areas],
            "values": [float(r.change) for r in areas],
            "comparator": [r.kind == "comparator" for r in areas],
        }


def periods_held(counts: list[OutcomeCount]) -> dict[str, list[Period]]:
    """Measure -> the periods it has counts for, oldest first."""
    out: dict[str, set[Period]] = {}
    for c in counts:
        out.setdefault(c.measure, set()).add((c.year, c.month))
    return {m: sorted(p) for m, p in out.items()}


def default_comparison(periods: list[Period]) -> tuple[Period | None, Period | None]:
    """The latest period against the earliest one like it (the same month of an earlier year,
    or an earlier whole year): how the leaders compared month 1 of 2010-11 with month 1 of
    2008-09, and 2008-09 with 2009-10."""
    if not periods:
        return None, None
    after = periods[-1]
    alike = [p for p in periods if p[1] == after[1] and p < after]
    return (alike[0] if alike else None), after


def _area_order(count: OutcomeCount) -> tuple:
    if count.organisation_id:
        return (0, count.organisation.path, "")
    return (1, "", count.comparator.name)


def outcome_comparison(
    *,
    user: User,
    commissioner: Organisation,
    measures: list[str] | None = None,
    before: Period | None = None,
    after: Period | None = None,
) -> dict:
    """For each measure: every area's counts in `before` and `after` and the percentage change,
    the comparators' changes beside each (one query). Without periods, each measure is compared
    over its own default pair (`default_comparison`)."""
    if commissioner.path not in _commissioner_paths(user):
        raise Http404("No such organisation.")
    counts = list(
        OutcomeCount.objects.filter(commissioner=commissioner).select_related(
            "organisation", "comparator", "upload"
        )
    )
    held = periods_held(counts)
    all_periods = sorted({p for periods in held.values() for p in periods})
    comparisons = []
    for measure in measures or [m.value for m in OutcomeMeasure]:
        if measure not in held:
            continue
        pair = (before, after) if before and after else default_comparison(held[measure])
        values: dict[str, dict[Period, OutcomeCount]] = {}
        for c in counts:
            if c.measure == measure:
                values.setdefault(c.area, {})[(c.year, c.month)] = c
        areas = sorted(
            (next(iter(by_period.values())) for by_period in values.values()), key=_area_order
        )
        rows, comparators = [], []
        for sample in areas:
            by_period = values[sample.area]
            change = AreaChange(
                code=sample.area,
                name=(sample.organisation or sample.comparator).name,
                kind=sample.organisation.kind if sample.organisation_id else "comparator",
                before=by_period[pair[0]].count if pair[0] in by_period else None,
                after=by_period[pair[1]].count if pair[1] in by_period else None,
            )
            (comparators if change.kind == "comparator" else rows).append(change)
        for row in rows:
            row.comparator_changes = [c.change for c in comparators]
        comparisons.append(MeasureComparison(measure, pair[0], pair[1], rows, comparators))
    return {
        "commissioner": commissioner,
        "comparisons": comparisons,
        "periods": [(p, period_label(*p)) for p in all_periods],
        "comparators": sorted({c.comparator.name for c in counts if c.comparator_id}),
        "demo": any(c.upload.original_name.startswith("DEMO_") for c in counts),
    }


def locality_outcomes(*, user: User, locality: Organisation) -> list[dict]:
    """For a lead GP's home: each measure's default comparison for their locality (and the
    county) beside the comparator (one query)."""
    commissioner = Organisation.objects.filter(path="/" + locality.commissioner_code + "/").first()
    if commissioner is None:
        return []
    data = outcome_comparison(user=user, commissioner=commissioner)
    out = []
    for comparison in data["comparisons"]:
        mine = next((r for r in comparison.rows if r.code == locality.code), None)
        if mine is None:
            continue
        out.append(
            {
                "comparison": comparison,
                "area": mine,
                "county": next((r for r in comparison.rows if r.kind == "commissioner"), None),
            }
        )
    return out
