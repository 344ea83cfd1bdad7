"""Reads with a rule: referral and prescribing rates, peer comparison, timeliness, payment on
information, local schemes and interests. Every read is scoped by consortia.permissions and runs
a fixed number of queries whatever the data size (aggregates are GROUP BY in the database; the
statistics over the grouped rows run in Python, in referrals/statistics.py).

Rates are per 1,000 registered patients per year: a period's count ÷ (patients × months ÷ 12)
× 1,000, so a quarter's rate and a year's rate are on one scale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.http import Http404
from django.utils import timezone

from budgets.models import ActivityRow, ImportKind, ImportStatus, Provider
from budgets.periods import month_start
from consortia.models import Organisation, OrganisationKind, Role, RoleAssignment, User
from consortia.money import round_pence
from consortia.permissions import Action, can, filter_by_scope, grants_for
from localities.models import ListSizeBand, ListSizeSnapshot

from .models import (
    AgeWeighting,
    ConflictJustification,
    InformationEvent,
    InformationKind,
    InformationStandard,
    Interest,
    LocalScheme,
    OutlierRule,
    Overdispersion,
    PeerReview,
    Referral,
    ReferralImport,
    ReviewStatus,
    SchemeActivity,
    specialty_name,
)
from .periods import Period
from .statistics import Funnel, Spc, Unit, funnel, median_of_counts, weighted_population, xmr

PRESCRIBING = "PRESC"
ALL_REFERRALS = "ALL"
PER = 1000
DEFAULT_STANDARD_HOURS = {
    InformationKind.CLINIC_LETTER: 7 * 24,  # NHS Standard Contract: clinic letters in 7 days
    InformationKind.DISCHARGE_SUMMARY: 24,  # and discharge summaries in 24 hours
}


def measure_name(measure: str) -> str:
    if measure == PRESCRIBING:
        return "Prescribing (items)"
    if measure == ALL_REFERRALS:
        return "All referrals"
    return specialty_name(measure)


def commissioner_of(node: Organisation) -> Organisation:
    if node.kind == OrganisationKind.COMMISSIONER:
        return node
    return Organisation.objects.get(path="/" + node.commissioner_code + "/")


def commissioner_for(user: User) -> Organisation:
    """The commissioner whose tree the user's roles are in (404 for someone with none)."""
    grants = grants_for(user, Action.VIEW_ORGANISATION)
    if not grants:
        raise Http404("You have no role in any organisation yet.")
    code = grants[0].path.strip("/").split("/")[0]
    return Organisation.objects.get(code=code)


def may_see_names(user: User, practice: Organisation) -> bool:
    """Practice names are shown to those who may view the practice (leads, sub-locality leads,
    finance, executives: county-wide); a practice member sees only its own practice's name."""
    return can(user, Action.VIEW_ORGANISATION, practice)


def _anonymous_label(index: int) -> str:
    """0 -> "Practice A", 25 -> "Practice Z", 26 -> "Practice AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return f"Practice {letters}"


# --- Rules in force -----------------------------------------------------------------------------


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


# --- Populations ----------------------------------------------------------------------------


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


# --- Peer comparison -----------------------------------------------------------------------


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
                activity_import__status=ImportStatus.COMPLETE,
                activity_import__kind=ImportKind.PRESCRIBING,
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


# --- Trend (SPC) -----------------------------------------------------------------------------


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
                activity_import__status=ImportStatus.COMPLETE,
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


# --- Peer reviews ----------------------------------------------------------------------------


def peer_reviews_visible_to(*, user: User):
    """Reviews of practices the user may view (a practice member: its own)."""
    return filter_by_scope(
        PeerReview.objects.all(), user, Action.VIEW_ORGANISATION, "practice__"
    ).select_related("practice", "locality", "opened_by")


def peer_review_get_visible(*, user: User, pk: int) -> PeerReview:
    review = peer_reviews_visible_to(user=user).filter(pk=pk).first()
    if review is None:
        raise Http404("No such peer review.")
    return review


def open_peer_reviews(*, user: User, locality: Organisation) -> list[PeerReview]:
    """Open reviews of practices in `locality` that the user may view, follow-up soonest first."""
    return list(
        peer_reviews_visible_to(user=user)
        .filter(status=ReviewStatus.OPEN, practice__path__startswith=locality.path)
        .order_by("follow_up_on", "pk")
    )


def review_positions(*, user: User, review: PeerReview) -> dict:
    """What the review saw when it opened, and the same practice's figures for the period
    reviewed and the next period, against the same peers, so everyone sees whether it changed."""
    commissioner = commissioner_of(review.practice)
    snapshot = review.position
    peers = Organisation.objects.filter(code=snapshot.get("peers")).first() or commissioner
    period = Period(review.year, review.quarter)
    out = {"opened": snapshot, "periods": []}
    for which, p in (("reviewed", period), ("next", period.next())):
        data = comparison(
            user=user,
            commissioner=commissioner,
            measure=review.measure,
            period=p,
            peers=peers,
            weighted=snapshot.get("weighted", True),
        )
        row = next((r for r in data.rows if r.own or r.practice_id == review.practice_id), None)
        has_data = (
            months_with_data(commissioner=commissioner, year=p.year, measure=review.measure)
            >= p.months[0]
        )
        out["periods"].append(
            {"which": which, "period": p, "row": row if has_data else None, "data": data}
        )
    return out


# --- Information timeliness ------------------------------------------------------------------


@dataclass
class TimelinessRow:
    provider: Provider
    kind: str
    specialty: str | None
    events: int
    received: int
    within_standard: int
    due: int  # received, or past their deadline unreceived
    outstanding: int  # not received and past the standard
    median_days: float | None
    standard_hours: int
    rank: int = 0

    @property
    def share_within(self) -> float | None:
        return self.within_standard / self.due if self.due else None

    @property
    def kind_label(self) -> str:
        return InformationKind(self.kind).label if self.kind else "All information"


def _overdue_q(standards: dict[str, int], now: dt.datetime) -> Q:
    q = Q()
    for kind, hours in standards.items():
        q |= Q(kind=kind, occurred_at__lt=now - dt.timedelta(hours=hours))
    return Q(received_at__isnull=True) & q


def timeliness(
    *,
    user: User,
    commissioner: Organisation,
    year: int,
    by_specialty: bool = False,
    now: dt.datetime | None = None,
) -> list[TimelinessRow]:
    """Per provider and kind of information (and specialty when asked): events, how many reached
    the GP within the standard, the share within it of those due (received, or unreceived past
    the deadline), the median days from attendance or discharge to receipt, and those
    outstanding past the standard. Ranked best first (a league table). Events are scoped to the
    practices the user may view. One GROUP BY query (on delay in hours) plus the standards."""
    now = now or timezone.now()
    standards = information_standards(commissioner=commissioner, on=timezone.localdate())
    events = filter_by_scope(
        InformationEvent.objects.filter(commissioner=commissioner, year=year),
        user,
        Action.VIEW_ORGANISATION,
        "practice__",
    )
    group = ["provider_id", "kind", "delay_hours"] + (["specialty"] if by_specialty else [])
    rows = events.values(*group).annotate(
        n=Count("id"), overdue=Count("id", filter=_overdue_q(standards, now))
    )
    cells: dict[tuple, dict] = {}
    for r in rows:
        key = (r["provider_id"], r["kind"], r.get("specialty"))
        cell = cells.setdefault(
            key, {"events": 0, "received": 0, "within": 0, "overdue": 0, "hist": []}
        )
        cell["events"] += r["n"]
        cell["overdue"] += r["overdue"]
        if r["delay_hours"] is not None:
            cell["received"] += r["n"]
            cell["hist"].append((r["delay_hours"], r["n"]))
            if r["delay_hours"] <= standards[r["kind"]]:
                cell["within"] += r["n"]
    providers = Provider.objects.in_bulk([k[0] for k in cells])
    out = []
    for (provider_id, kind, specialty), cell in cells.items():
        median = median_of_counts(cell["hist"])
        out.append(
            TimelinessRow(
                provider=providers[provider_id],
                kind=kind,
                specialty=specialty,
                events=cell["events"],
                received=cell["received"],
                within_standard=cell["within"],
                due=cell["received"] + cell["overdue"],
                outstanding=cell["overdue"],
                median_days=None if median is None else median / 24,
                standard_hours=standards[kind],
            )
        )
    out.sort(key=lambda r: (-(r.share_within or 0), r.provider.name, r.kind, r.specialty or ""))
    for rank, row in enumerate(out, start=1):
        row.rank = rank
    return out


def slow_providers(
    *, user: User, commissioner: Organisation, year: int, now: dt.datetime | None = None
) -> list[TimelinessRow]:
    """The league table worst first: provider, kind, share within standard, median days."""
    rows = timeliness(user=user, commissioner=commissioner, year=year, now=now)
    return sorted(rows, key=lambda r: (r.share_within if r.share_within is not None else 1.0,
                                       -(r.median_days or 0)))  # fmt: skip


# --- Payment on information ----------------------------------------------------------------


@dataclass
class HeldCell:
    provider_id: int
    practice_id: int
    practice_path: str
    locality_id: int
    month: int
    line_id: int
    cost: int  # pence of hospital activity
    expected: int  # information events
    outstanding: int  # not received and past the standard
    late: int  # received, but after the standard
    held: int  # pence
    released: int  # pence released because late information arrived


def held_cells(
    *,
    commissioner: Organisation,
    year: int,
    month: int,
    path: str | None = None,
    user: User | None = None,
    now: dt.datetime | None = None,
) -> list[HeldCell]:
    """Payment on information, cell by cell (provider × practice × month × budget line).

    For a provider with `payment_on_information` switched on, each month's hospital activity
    cost for a practice is held in proportion to the information events (clinic letters and
    discharge summaries) of that provider, practice and month that have not reached the GP and
    are past the standard: held = cost × outstanding ÷ events, rounded half up to the penny per
    cell. When the information arrives the event is no longer outstanding: its share is released
    (and counted as `released` if it came after the standard). A cell with activity but no events
    holds nothing. Months 1..`month` of `year`; activity held for a closed month is not counted
    (it is not in the actuals either). Two GROUP BY queries plus the standards.
    """
    now = now or timezone.now()
    standards = information_standards(commissioner=commissioner, on=timezone.localdate())
    events = InformationEvent.objects.filter(
        commissioner=commissioner,
        year=year,
        month__lte=month,
        provider__payment_on_information=True,
    )
    activity = ActivityRow.objects.filter(
        year=year,
        month__lte=month,
        provider__commissioner=commissioner,
        provider__payment_on_information=True,
        held=False,
        activity_import__status=ImportStatus.COMPLETE,
        activity_import__kind=ImportKind.HOSPITAL,
    )
    if path:
        events = events.filter(practice__path__startswith=path)
        activity = activity.filter(organisation__path__startswith=path)
    if user is not None:
        events = filter_by_scope(events, user, Action.VIEW_MONEY, "practice__")
        activity = filter_by_scope(activity, user, Action.VIEW_MONEY, "organisation__")
    late_q = Q()
    for kind, hours in standards.items():
        late_q |= Q(kind=kind, delay_hours__gt=hours)
    shares = {
        (r["provider_id"], r["practice_id"], r["month"]): r
        for r in events.values("provider_id", "practice_id", "month").annotate(
            expected=Count("id"),
            outstanding=Count("id", filter=_overdue_q(standards, now)),
            late=Count("id", filter=late_q),
        )
    }
    out = []
    for r in activity.values(
        "provider_id", "organisation_id", "organisation__path", "locality_id", "month", "line_id"
    ).annotate(cost=Sum("cost")):
        share = shares.get((r["provider_id"], r["organisation_id"], r["month"]))
        expected = share["expected"] if share else 0
        outstanding = share["outstanding"] if share else 0
        late = share["late"] if share else 0
        cost = r["cost"] or 0
        held = round_pence(Decimal(cost) * outstanding / expected) if expected else 0
        released = round_pence(Decimal(cost) * late / expected) if expected else 0
        out.append(
            HeldCell(
                provider_id=r["provider_id"],
                practice_id=r["organisation_id"],
                practice_path=r["organisation__path"],
                locality_id=r["locality_id"],
                month=r["month"],
                line_id=r["line_id"],
                cost=cost,
                expected=expected,
                outstanding=outstanding,
                late=late,
                held=held,
                released=released,
            )
        )
    return out


@dataclass
class HeldRow:
    provider: Provider
    month: int
    cost: int
    held: int
    released: int
    outstanding: int
    expected: int

    @property
    def payable(self) -> int:
        return self.cost - self.held


def held_payments(
    *,
    commissioner: Organisation,
    year: int,
    month: int,
    user: User | None = None,
    now: dt.datetime | None = None,
) -> list[HeldRow]:
    """Held pence per provider and month, for months 1..`month` of `year` (pass 12 for the
    whole year), with the activity cost, what was released and the events outstanding.
    With `user`, only the practices whose money the user may see are counted."""
    cells = held_cells(commissioner=commissioner, year=year, month=month, user=user, now=now)
    totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    events: dict[tuple[int, int], dict[int, tuple[int, int]]] = defaultdict(dict)
    for c in cells:
        t = totals[(c.provider_id, c.month)]
        t[0] += c.cost
        t[1] += c.held
        t[2] += c.released
        events[(c.provider_id, c.month)][c.practice_id] = (c.outstanding, c.expected)
    providers = Provider.objects.in_bulk([k[0] for k in totals])
    rows = [
        HeldRow(
            provider=providers[pid],
            month=m,
            cost=t[0],
            held=t[1],
            released=t[2],
            outstanding=sum(o for o, _ in events[(pid, m)].values()),
            expected=sum(e for _, e in events[(pid, m)].values()),
        )
        for (pid, m), t in totals.items()
    ]
    return sorted(rows, key=lambda r: (r.provider.name, r.month))


def held_by_locality(
    *, commissioner: Organisation, year: int, month: int, now: dt.datetime | None = None
) -> dict[int, int]:
    """{locality id: pence held pending information} for months 1..`month` (year to date)."""
    out: dict[int, int] = defaultdict(int)
    for c in held_cells(commissioner=commissioner, year=year, month=month, now=now):
        out[c.locality_id] += c.held
    return dict(out)


def held_for_positions(
    *, node: Organisation, year: int, month: int, now: dt.datetime | None = None
) -> dict[tuple[int, int | None], int]:
    """Held pence, year to date through `month`, keyed like the positions page's rows:
    (node id, None) the node's total, (node id, line id) its lines, (child id, None) each
    child's total. Three queries (children, and the cells)."""
    commissioner = commissioner_of(node)
    children = dict(Organisation.objects.filter(parent=node).values_list("code", "id"))
    out: dict[tuple[int, int | None], int] = defaultdict(int)
    depth = node.path.count("/")
    for c in held_cells(commissioner=commissioner, year=year, month=month, path=node.path, now=now):
        out[(node.pk, None)] += c.held
        out[(node.pk, c.line_id)] += c.held
        parts = c.practice_path.split("/")
        child_code = parts[depth] if len(parts) > depth + 1 else None
        if child_code in children:
            out[(children[child_code], None)] += c.held
    return dict(out)


# --- Local schemes -------------------------------------------------------------------------


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


# --- Interests and conflicts -----------------------------------------------------------------


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


# --- Imports and lists ------------------------------------------------------------------------


def referral_imports_visible_to(*, user: User):
    return filter_by_scope(
        ReferralImport.objects.all(), user, Action.VIEW_MONEY, "commissioner__"
    ).select_related("uploaded_by")


def referral_import_get_visible(*, user: User, pk: int) -> ReferralImport:
    record = referral_imports_visible_to(user=user).filter(pk=pk).first()
    if record is None:
        raise Http404("No such import.")
    return record


def referrals_visible_to(*, user: User):
    """Referral records of the practices the user may view."""
    return filter_by_scope(
        Referral.objects.all(), user, Action.VIEW_ORGANISATION, "practice__"
    ).select_related("practice", "provider")


def information_events_visible_to(*, user: User):
    return filter_by_scope(
        InformationEvent.objects.all(), user, Action.VIEW_ORGANISATION, "practice__"
    ).select_related("practice", "provider")


def is_demo(*, commissioner: Organisation) -> bool:
    """The demo's data is synthetic: pages say so."""
    return ReferralImport.objects.filter(
        commissioner=commissioner, original_name__startswith="SYNTHETIC"
    ).exists()
