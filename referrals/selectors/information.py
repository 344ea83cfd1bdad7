"""Information from providers: timeliness against the standards, and payment held until the GP
has the information (payment on information)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from budgets.models import ActivityRow, Provider
from consortia.imports.models import UploadStatus
from consortia.models import Organisation, User
from consortia.money import round_pence
from consortia.permissions import Action, filter_by_scope

from ..models import (
    InformationEvent,
    InformationKind,
)
from ..statistics import median_of_counts
from .rates import information_standards


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
        upload__status=UploadStatus.COMPLETE,
        upload__kind="activity.hospital",
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
