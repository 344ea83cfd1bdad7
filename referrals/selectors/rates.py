"""Referral rates: the rules in force, practice populations, peer comparison (funnel plots),
outliers and trends (SPC)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Sum
from django.http import Http404
from django.utils import timezone

from budgets.models import ActivityRow
from budgets.periods import month_start
from consortia.imports.models import UploadStatus
from consortia.models import Organisation, OrganisationKind, User
from consortia.money import round_pence
from consortia.permissions import Action, can, grants_for
from localities.models import ListSizeBand, ListSizeSnapshot

from ..models import (
    AgeWeighting,
    InformationStandard,
    OutlierRule,
    Overdispersion,
    PeerReview,
    Referral,
    ReviewStatus,
    specialty_name,
)
from ..periods import Period
from ..statistics import Funnel, Spc, Unit, funnel, weighted_population, xmr
from .common import (
    ALL_REFERRALS,
    DEFAULT_STANDARD_HOURS,
    PER,
    PRESCRIBING,
    _anonymous_label,
    commissioner_of,
    may_see_names,
    measure_name,
)


def outlier_rule(*, commissioner: Organisation, on: dt.date) -> tuple[str, str, str]:
    """(limit, overdispersion, approved by) in force on a date; default 99.8%, none."""
    rule = OutlierRule.objects.filter(commissioner=commissioner, effective_from__lte=on).first()
    if rule is None:
        return "99.8", Overdispersion.NONE, "Default: 99.8% limits, no overdispersion adjustment"
    return rule.limit, rule.overdispersion, rule.approved_by


def information_standards(*, commissioner: Organisation, on: dt.date) -> dict[str, int]:
    """Hours within which each kind of information must reach the GP, in force on a date."""
    hours = dict(DEFAULT_STANDARD_HOURS)
    seen = set()
    for row in InformationStandard.objects.filter(
        commissioner=commissioner, effective_from__lte=on
    ).order_by("kind", "-effective_from"):
        if row.kind not in seen:
            hours[row.kind] = row.within_hours
            seen.add(row.kind)
    return hours


def _age_weights(
    commissioner: Organisation, measures: list[str], on: dt.date
) -> dict[str, tuple[dict[str, Decimal], str] | None]:
    """Each measure's age weights in force (a specialty falls back to "ALL"), or None."""
    found: dict[str, tuple[dict[str, Decimal], str]] = {}
    for row in AgeWeighting.objects.filter(
        commissioner=commissioner,
        measure__in=[*measures, ALL_REFERRALS],
        effective_from__lte=on,
    ).order_by("measure", "-effective_from"):
        found.setdefault(row.measure, ({b: Decimal(w) for b, w in row.weights.items()}, row.source))
    out = {}
    for measure in measures:
        out[measure] = found.get(measure) or (
            found.get(ALL_REFERRALS) if measure != PRESCRIBING else None
        )
    return out


def practice_populations(
    practice_ids: list[int], on: dt.date
) -> dict[int, tuple[int, dict[str, int]]]:
    """Each practice's registered patients and patients by age band (both sexes) from its latest
    list-size snapshot on or before `on`, else its earliest (the demo's lists start in 2013).
    Two queries."""
    chosen: dict[int, tuple[dt.date, int, int]] = {}
    for snapshot_id, practice_id, as_of, patients in ListSizeSnapshot.objects.filter(
        practice_id__in=practice_ids
    ).values_list("id", "practice_id", "as_of", "registered_patients"):
        current = chosen.get(practice_id)
        better = current is None or (
            (as_of <= on and (current[0] > on or as_of > current[0]))
            or (as_of > on and current[0] > on and as_of < current[0])
        )
        if better:
            chosen[practice_id] = (as_of, snapshot_id, patients)
    bands: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_snapshot = {snapshot_id: practice_id for practice_id, (_, snapshot_id, _) in chosen.items()}
    for snapshot_id, band, patients in ListSizeBand.objects.filter(
        snapshot_id__in=list(by_snapshot)
    ).values_list("snapshot_id", "age_band", "patients"):
        bands[by_snapshot[snapshot_id]][band] += patients
    return {
        practice_id: (patients, dict(bands.get(practice_id, {})))
        for practice_id, (_, _, patients) in chosen.items()
    }


@dataclass
class ComparisonRow:
    label: str
    code: str | None  # None when anonymised
    named: bool
    own: bool  # the user's own practice (a practice member's)
    locality: str
    population: int
    weighted_population: Decimal
    observed: int  # referrals, or prescription items
    crude_rate: float
    weighted_rate: float
    rate: float  # on the basis compared (weighted or crude)
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    flag: str
    warning: str
    cost: int | None = None  # prescribing: actual cost in pence
    cost_per_weighted_patient: int | None = None  # pence a year
    review_id: int | None = None  # an open peer review of this practice and measure
    practice_id: int | None = None  # None when anonymised
    reviewable: bool = False  # the user may open a peer review of this practice

    @property
    def flag_label(self) -> str:
        return {"high": "High outlier", "low": "Low outlier"}.get(self.flag, "")


@dataclass
class Comparison:
    commissioner: Organisation
    measure: str
    measure_name: str
    period: Period
    peers: Organisation
    weighted: bool
    weights_source: str
    overdispersion: str
    outlier_limit: str
    rule_source: str
    funnel: Funnel
    rows: list[ComparisonRow]
    curve: list[dict] = field(default_factory=list)
    months_with_data: int = 0
    peer_cost_per_weighted_patient: int | None = None

    @property
    def outliers(self) -> list[ComparisonRow]:
        return [r for r in self.rows if r.flag]

    @property
    def unit(self) -> str:
        noun = "items" if self.measure == PRESCRIBING else "referrals"
        basis = "weighted patients" if self.weighted else "registered patients"
        return f"{noun} per 1,000 {basis} per year"


def _practices_under(path: str) -> list[Organisation]:
    return list(Organisation.objects.filter(path__startswith=path, kind=OrganisationKind.PRACTICE))


def _locality_names(commissioner: Organisation) -> dict[str, str]:
    return dict(
        Organisation.objects.filter(
            parent=commissioner, kind=OrganisationKind.LOCALITY
        ).values_list("path", "name")
    )


def _locality_path(path: str) -> str:
    return "/".join(path.split("/")[:3]) + "/"


def _counts(
    *, commissioner: Organisation, period: Period, path: str, measure: str | None
) -> dict[tuple[int, str], tuple[int, int]]:
    """(practice id, measure) -> (count, cost pence) for the period, one GROUP BY query.

    Referrals count rows; prescribing sums items and actual cost from the activity table.
    `measure` None: every specialty (and not prescribing).
    """
    out: dict[tuple[int, str], tuple[int, int]] = {}
    if measure == PRESCRIBING:
        rows = (
            ActivityRow.objects.filter(
                year=period.year,
                month__in=period.months,
                line__code="PRESC",
                line__commissioner=commissioner,
                organisation__path__startswith=path,
                held=False,
                upload__status=UploadStatus.COMPLETE,
                upload__kind="activity.prescribing",
            )
            .values_list("organisation_id")
            .annotate(items=Sum("activity"), cost=Sum("cost"))
        )
        for practice_id, items, cost in rows:
            out[(practice_id, PRESCRIBING)] = (items or 0, cost or 0)
        return out
    referrals = Referral.objects.filter(
        commissioner=commissioner,
        year=period.year,
        month__in=period.months,
        practice__path__startswith=path,
    )
    if measure and measure != ALL_REFERRALS:
        referrals = referrals.filter(specialty=measure)
    if measure == ALL_REFERRALS:
        for practice_id, n in referrals.values_list("practice_id").annotate(n=Count("id")):
            out[(practice_id, ALL_REFERRALS)] = (n, 0)
        return out
    for practice_id, specialty, n in referrals.values_list("practice_id", "specialty").annotate(
        n=Count("id")
    ):
        out[(practice_id, specialty)] = (n, 0)
    return out


def months_with_data(*, commissioner: Organisation, year: int, measure: str) -> int:
    """The last financial month of `year` with any data for the measure (0 if none)."""
    if measure == PRESCRIBING:
        last = ActivityRow.objects.filter(
            year=year, line__code="PRESC", line__commissioner=commissioner
        ).aggregate(m=Max("month"))["m"]
    else:
        last = Referral.objects.filter(commissioner=commissioner, year=year).aggregate(
            m=Max("month")
        )["m"]
    return last or 0


def latest_period(*, commissioner: Organisation, year: int, measure: str = ALL_REFERRALS) -> Period:
    """The latest complete quarter of `year` with data (Q1 if none is complete yet)."""
    last = months_with_data(commissioner=commissioner, year=year, measure=measure)
    return Period(year, max(1, last // 3)) if last else Period(year, 1)


def _rows_for(
    *,
    user: User,
    commissioner: Organisation,
    measure: str,
    period: Period,
    practices: list[Organisation],
    counts: dict[tuple[int, str], tuple[int, int]],
    populations: dict[int, tuple[int, dict[str, int]]],
    weights: dict[str, Decimal] | None,
    weighted: bool,
    overdispersion: str,
    outlier_limit: str,
    localities: dict[str, str],
    months: int,
) -> tuple[Funnel, list[ComparisonRow]]:
    """The funnel and a row per practice with a population, for one measure (no queries)."""
    years = Decimal(months) / 12
    units, info = [], {}
    for practice in practices:
        if practice.pk not in populations:
            continue  # no list size: no rate
        patients, bands = populations[practice.pk]
        weighted_patients = weighted_population(bands, weights) if bands else Decimal(patients)
        observed, cost = counts.get((practice.pk, measure), (0, 0))
        denominator = weighted_patients if weighted else Decimal(patients)
        units.append(Unit(practice.pk, observed, float(denominator * years)))
        info[practice.pk] = (practice, patients, weighted_patients, observed, cost)
    result = funnel(units, per=PER, overdispersion=overdispersion, outlier_limit=outlier_limit)
    rows = []
    for point in result.points:
        practice, patients, weighted_patients, observed, cost = info[point.key]
        named = may_see_names(user, practice)
        per_year = float(years) or 1.0
        cost_per = None
        if measure == PRESCRIBING and weighted_patients:
            cost_per = round_pence(Decimal(cost) / weighted_patients / Decimal(per_year))
        rows.append(
            ComparisonRow(
                label=practice.name if named else "",
                code=practice.code if named else None,
                named=named,
                own=any(
                    g.path == practice.path for g in grants_for(user, Action.VIEW_ORGANISATION)
                ),
                locality=localities.get(_locality_path(practice.path), ""),
                population=patients,
                weighted_population=weighted_patients.quantize(Decimal("0.1")),
                observed=observed,
                crude_rate=observed / patients / per_year * PER if patients else 0.0,
                weighted_rate=(
                    observed / float(weighted_patients) / per_year * PER
                    if weighted_patients
                    else 0.0
                ),
                rate=point.rate,
                lower95=point.lower95,
                upper95=point.upper95,
                lower998=point.lower998,
                upper998=point.upper998,
                flag=point.flag,
                warning=point.warning,
                cost=cost if measure == PRESCRIBING else None,
                cost_per_weighted_patient=cost_per,
                practice_id=practice.pk if named else None,
                reviewable=named and can(user, Action.PEER_REVIEW, practice),
            )
        )
    rows.sort(key=lambda r: (-r.rate, -r.population))
    # Anonymised practices get letters in the order shown (highest rate first): stable on the
    # page, revealing no code.
    anonymous = [r for r in rows if not r.named]
    for index, row in enumerate(anonymous):
        row.label = _anonymous_label(index)
    return result, rows


def comparison(
    *,
    user: User,
    commissioner: Organisation,
    measure: str,
    period: Period,
    peers: Organisation | None = None,
    weighted: bool = True,
    overdispersion: str | None = None,
) -> Comparison:
    """Every practice among `peers` (a locality, or the county by default) with its rate for
    `measure` (a treatment function code, "ALL", or "PRESC" for prescribing items) in `period`,
    compared in a funnel plot against the peers' pooled rate.

    Who may look: anyone who may view the peer group, or whose own practice is in it (a practice
    member then sees the other practices anonymised as "Practice A", "Practice B"...).
    Fixed queries: practices, localities, counts, list sizes (2), weights, rule, open reviews.
    """
    peers = peers or commissioner
    if not peers.path.startswith(commissioner.path):
        raise Http404("No such peer group.")
    practices = _practices_under(peers.path)
    if not can(user, Action.VIEW_ORGANISATION, peers) and not any(
        can(user, Action.VIEW_ORGANISATION, p) for p in practices
    ):
        raise Http404("No such peer group.")
    limit, default_overdispersion, rule_source = outlier_rule(
        commissioner=commissioner, on=period.end
    )
    if measure == PRESCRIBING and default_overdispersion == Overdispersion.NONE:
        # Items are not independent events (one patient, many items): Poisson limits would
        # flag nearly every practice, so prescribing defaults to the additive adjustment.
        default_overdispersion = Overdispersion.ADDITIVE
    overdispersion = overdispersion or default_overdispersion
    last = months_with_data(commissioner=commissioner, year=period.year, measure=measure)
    months = len([m for m in period.months if m <= last]) or len(period.months)
    counts = _counts(commissioner=commissioner, period=period, path=peers.path, measure=measure)
    populations = practice_populations([p.pk for p in practices], period.end)
    weights = _age_weights(commissioner, [measure], period.end)[measure]
    result, rows = _rows_for(
        user=user,
        commissioner=commissioner,
        measure=measure,
        period=period,
        practices=practices,
        counts=counts,
        populations=populations,
        weights=weights[0] if weights else None,
        weighted=weighted,
        overdispersion=overdispersion,
        outlier_limit=limit,
        localities=_locality_names(commissioner),
        months=months,
    )
    reviews = dict(
        PeerReview.objects.filter(
            practice_id__in=[r.practice_id for r in rows if r.practice_id],
            measure=measure,
            status=ReviewStatus.OPEN,
        ).values_list("practice_id", "id")
    )
    for row in rows:
        if row.practice_id:
            row.review_id = reviews.get(row.practice_id)
    denominators = [u.denominator for u in result.points]
    curve = []
    if denominators:
        low, high = min(denominators) * 0.8, max(denominators) * 1.1
        steps = 40
        for i in range(steps + 1):
            n = low * (high / low) ** (i / steps)
            curve.append({"n": n, **result.limits_at(n)})
    peer_cost = None
    if measure == PRESCRIBING:
        total_cost = sum(r.cost or 0 for r in rows)
        total_weighted = sum((r.weighted_population for r in rows), Decimal(0))
        if total_weighted:
            peer_cost = round_pence(Decimal(total_cost) / total_weighted / Decimal(months) * 12)
    return Comparison(
        commissioner=commissioner,
        measure=measure,
        measure_name=measure_name(measure),
        period=period,
        peers=peers,
        weighted=weighted,
        weights_source=(weights[1] if weights else "No age weights: the weighted rate is crude"),
        overdispersion=overdispersion,
        outlier_limit=limit,
        rule_source=rule_source,
        funnel=result,
        rows=rows,
        curve=curve,
        months_with_data=months,
        peer_cost_per_weighted_patient=peer_cost,
    )


def specialties_with_referrals(*, commissioner: Organisation, year: int) -> list[tuple[str, str]]:
    codes = (
        Referral.objects.filter(commissioner=commissioner, year=year)
        .values_list("specialty", flat=True)
        .distinct()
        .order_by("specialty")
    )
    return [(code, specialty_name(code)) for code in codes]


@dataclass
class OutlierRow:
    practice: Organisation
    measure: str
    measure_name: str
    period: Period
    flag: str
    rate: float
    peer_rate: float
    lower: float
    upper: float
    observed: int
    population: int
    review_id: int | None


def outliers_for(*, user: User, locality: Organisation, year: int) -> list[OutlierRow]:
    """Practices of `locality` flagged high or low for any specialty in the latest period of
    `year` with data, against the county's practices (weighted rates, the rule in force).

    Only practices the user may view are listed (a practice member: its own). Fixed queries.
    """
    commissioner = commissioner_of(locality)
    period = latest_period(commissioner=commissioner, year=year)
    practices = _practices_under(commissioner.path)
    counts = _counts(commissioner=commissioner, period=period, path=commissioner.path, measure=None)
    measures = sorted({m for _, m in counts})
    populations = practice_populations([p.pk for p in practices], period.end)
    weights = _age_weights(commissioner, measures, period.end)
    limit, overdispersion, _ = outlier_rule(commissioner=commissioner, on=period.end)
    last = months_with_data(commissioner=commissioner, year=year, measure=ALL_REFERRALS)
    months = len([m for m in period.months if m <= last]) or 3
    by_pk = {p.pk: p for p in practices}
    out = []
    for measure in measures:
        result, rows = _rows_for(
            user=user,
            commissioner=commissioner,
            measure=measure,
            period=period,
            practices=practices,
            counts=counts,
            populations=populations,
            weights=weights[measure][0] if weights[measure] else None,
            weighted=True,
            overdispersion=overdispersion,
            outlier_limit=limit,
            localities={},
            months=months,
        )
        key = "998" if limit == "99.8" else "95"
        for row in rows:
            practice = by_pk.get(row.practice_id) if row.practice_id else None
            if not row.flag or practice is None or not practice.path.startswith(locality.path):
                continue
            out.append(
                OutlierRow(
                    practice=practice,
                    measure=measure,
                    measure_name=measure_name(measure),
                    period=period,
                    flag=row.flag,
                    rate=row.rate,
                    peer_rate=result.target,
                    lower=getattr(row, f"lower{key}"),
                    upper=getattr(row, f"upper{key}"),
                    observed=row.observed,
                    population=row.population,
                    review_id=None,
                )
            )
    reviews = {
        (pid, m): rid
        for pid, m, rid in PeerReview.objects.filter(
            practice__path__startswith=locality.path, status=ReviewStatus.OPEN
        ).values_list("practice_id", "measure", "id")
    }
    for row in out:
        row.review_id = reviews.get((row.practice.pk, row.measure))
    return sorted(out, key=lambda r: (r.measure, r.flag, -r.rate))


@dataclass
class Trend:
    practice: Organisation
    measure: str
    measure_name: str
    year: int
    weighted: bool
    spc: Spc | None
    points: list[dict]
    reviews: list[PeerReview]


def practice_trend(
    *, user: User, practice: Organisation, measure: str, year: int, weighted: bool = True
) -> Trend:
    """A practice's monthly rate (per 1,000 patients per year) as an XmR chart: every month of
    `year` and the year before that has data for the commissioner, with the practice's peer
    reviews of the measure (their opening month is marked). 404 unless the user may view the
    practice. Fixed queries."""
    if practice.kind != OrganisationKind.PRACTICE or not can(
        user, Action.VIEW_ORGANISATION, practice
    ):
        raise Http404("No such practice.")
    commissioner = commissioner_of(practice)
    years = [year - 1, year]
    if measure == PRESCRIBING:
        present = ActivityRow.objects.filter(
            year__in=years, line__code="PRESC", line__commissioner=commissioner
        )
        monthly = {
            (y, m): n
            for y, m, n in ActivityRow.objects.filter(
                year__in=years,
                organisation=practice,
                line__code="PRESC",
                held=False,
                upload__status=UploadStatus.COMPLETE,
            )
            .values_list("year", "month")
            .annotate(n=Sum("activity"))
            .values_list("year", "month", "n")
        }
    else:
        present = Referral.objects.filter(commissioner=commissioner, year__in=years)
        referrals = Referral.objects.filter(practice=practice, year__in=years)
        if measure != ALL_REFERRALS:
            referrals = referrals.filter(specialty=measure)
        monthly = {
            (y, m): n
            for y, m, n in referrals.values_list("year", "month")
            .annotate(n=Count("id"))
            .values_list("year", "month", "n")
        }
    months = sorted(set(present.order_by().values_list("year", "month").distinct()))
    period = Period(year)
    patients, bands = practice_populations([practice.pk], period.end).get(practice.pk, (0, {}))
    weights = _age_weights(commissioner, [measure], period.end)[measure]
    denominator = (
        weighted_population(bands, weights[0] if weights else None)
        if weighted and bands
        else Decimal(patients)
    )
    values = []
    for y, month in months:
        count = monthly.get((y, month), 0)
        rate = float(count) / float(denominator) * 12 * PER if denominator else 0.0
        values.append((f"{month_start(y, month):%b %Y}", rate))
    spc = xmr(values)
    reviews = list(
        PeerReview.objects.filter(practice=practice, measure=measure).order_by("opened_on")
    )
    points = [
        {
            "label": p.label,
            "value": round(p.value, 2),
            "special_cause": p.special_cause,
            "reason": p.reason,
        }
        for p in (spc.points if spc else [])
    ]
    return Trend(
        practice=practice,
        measure=measure,
        measure_name=measure_name(measure),
        year=year,
        weighted=weighted,
        spc=spc,
        points=points,
        reviews=reviews,
    )


def latest_year(*, commissioner: Organisation) -> int:
    """The latest financial year with referrals (the current one if none)."""
    last = Referral.objects.filter(commissioner=commissioner).aggregate(y=Max("year"))["y"]
    if last is None:
        from budgets.periods import financial_year_of

        return financial_year_of(timezone.localdate())
    return last
