"""Reads for the money dashboards: the county, a locality or sub-locality, a practice, and the
imported rows behind one practice's line figure.

Dashboards read the reconciliation's results only — `Position` (a node's budget, actual, variance,
forecast and status at a month) and `ActualSummary` (node × line × month actuals) — never the
activity table, so each page runs a fixed number of queries whatever the number of practices,
months or rows. The one exception is `line_rows`, which pages through `ActivityRow` for one node ×
line × month (never all of them): it is how a figure is traced to the file it came from.

Practices hold no hard budget (budgets sit with localities and sub-localities), so a practice's
figures are its actuals, set beside its neighbours' as spend per weighted patient (the allocation
model's need-weighted population), 100 being the average of the practices under the same node.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404

from budgets.activity.layouts import ACTIVITY_KINDS
from budgets.activity.models import (
    ActivityRow,
    ActivityTotal,
    ActualSummary,
    Position,
    ReconciliationRun,
    RunStatusReco,
)
from budgets.activity.selectors import latest_run
from budgets.allocation.models import ModelRunPractice, RunStatus
from budgets.ledger.models import BudgetLine, LineCategory, PhasingProfile
from budgets.periods import MONTH_NAMES, month_label, year_label
from consortia.imports.models import Upload, UploadStatus
from consortia.models import Organisation, OrganisationKind, User
from consortia.money import format_money, split_exactly
from consortia.permissions import Action, can, organisations_for

ROWS_PER_PAGE = 50
IMPORT_PROBLEMS_SHOWN = 5

# --- The period a dashboard shows ------------------------------------------------------------


def reconciled_periods(*, commissioner: Organisation) -> list[tuple[int, int]]:
    """(year, month) pairs with a succeeded reconciliation, newest first (one query)."""
    return list(
        ReconciliationRun.objects.filter(commissioner=commissioner, status=RunStatusReco.SUCCEEDED)
        .order_by("-year", "-month")
        .values_list("year", "month")
        .distinct()
    )


def dashboard_run(
    *, commissioner: Organisation, year: int | None = None, month: int | None = None
) -> ReconciliationRun | None:
    """The run whose figures a dashboard shows: the latest succeeded run for the chosen year and
    month, or the latest of all when none is chosen. None when that month is not reconciled."""
    if year is None or month is None:
        return latest_run(commissioner=commissioner)
    return latest_run(commissioner=commissioner, year=year, month=month)


def money_commissioner_for(*, user: User) -> Organisation | None:
    """The commissioner whose money `user` may see something of (the first, by path)."""
    node = organisations_for(user, Action.VIEW_MONEY).order_by("path").first()
    if node is None:
        return None
    if node.kind == OrganisationKind.COMMISSIONER:
        return node
    return Organisation.objects.filter(path="/" + node.commissioner_code + "/").first()


def money_start_for(*, user: User) -> Organisation | None:
    """The highest node `user` may see money for: where their dashboard starts."""
    return organisations_for(user, Action.VIEW_MONEY).order_by("path").first()


def node_get_for_money(*, user: User, code: str) -> Organisation:
    """A node `user` may see money for; 404 alike for missing and not yours."""
    node = Organisation.objects.filter(code=code).first()
    if node is None or not can(user, Action.VIEW_MONEY, node):
        raise Http404("No such organisation.")
    return node


def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def trail(node: Organisation) -> list[Organisation]:
    """The node's ancestors and itself, county first (one query): the drill-down's breadcrumbs."""
    return list(Organisation.objects.filter(path__in=_ancestor_paths(node.path)).order_by("path"))


# --- Figures -----------------------------------------------------------------------------------


@dataclass
class Outlook:
    """The year-end position the Statement of Principles asks for (principle 10: balance)."""

    forecast_variance: int  # pence: forecast outturn - annual budget; positive is an overspend
    percent: Decimal | None  # of the annual budget
    words: str


def year_end_outlook(position: Position | None) -> Outlook | None:
    """ "Forecast to overspend by £x (y% of the budget)", to underspend, or to balance."""
    if position is None:
        return None
    variance = position.forecast_variance
    percent = (
        (Decimal(variance) * 100 / Decimal(position.annual_budget)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        if position.annual_budget
        else None
    )
    share = f" ({abs(percent)}% of the budget)" if percent is not None else ""
    if variance > 0:
        words = f"Forecast to overspend by {format_money(variance)}{share} at year end"
    elif variance < 0:
        words = f"Forecast to underspend by {format_money(-variance)}{share} at year end"
    else:
        words = "Forecast to balance at year end"
    return Outlook(variance, percent, words)


@dataclass
class Series:
    """Cumulative actual against the cumulative phased budget (the profile), M1..M12, pence."""

    node: Organisation
    profile: list[int]  # twelve months
    actual: list[int]  # months 1..the run's month
    forecast_outturn: int | None = None

    @property
    def chart_id(self) -> str:
        return f"chart-data-{self.node.code}"

    @property
    def rows(self) -> list[dict]:
        """The table behind the chart, one row per month."""
        return [
            {
                "month": i + 1,
                "label": f"M{i + 1} {MONTH_NAMES[i]}",
                "profile": self.profile[i],
                "actual": self.actual[i] if i < len(self.actual) else None,
                "difference": self.actual[i] - self.profile[i] if i < len(self.actual) else None,
            }
            for i in range(12)
        ]

    def chart(self) -> dict:
        """What the chart script draws: whole pounds (a chart needs no pennies)."""
        return {
            "labels": [f"M{i + 1}" for i in range(12)],
            "profile": [p // 100 for p in self.profile],
            "actual": [a // 100 for a in self.actual],
            "forecast": None if self.forecast_outturn is None else self.forecast_outturn // 100,
        }


def _profiles(commissioner: Organisation, year: int) -> dict[int, list[Decimal]]:
    """Line id -> its phasing shares for the year (one query); lines without one are flat."""
    return {
        p.line_id: [Decimal(s) for s in p.shares]
        for p in PhasingProfile.objects.filter(line__commissioner=commissioner, year=year)
    }


def cumulative_profile(
    line_positions: list[Position], profiles: dict[int, list[Decimal]]
) -> list[int]:
    """The node's phased budget, cumulated month by month.

    Phased as reconciliation phases it (each line's annual budget split by its profile, exactly
    to the penny), so the cumulative profile at the run's month equals the node's YTD budget.
    """
    monthly = [0] * 12
    for position in line_positions:
        if position.annual_budget <= 0:
            continue
        phased = split_exactly(
            position.annual_budget, profiles.get(position.line_id, [Decimal(1)] * 12)
        )
        monthly = [a + b for a, b in zip(monthly, phased, strict=True)]
    return _cumulate(monthly)


def _cumulate(values: list[int]) -> list[int]:
    out, running = [], 0
    for value in values:
        running += value
        out.append(running)
    return out


def _delegated_summaries(*, year: int, month: int) -> QuerySet[ActualSummary]:
    """Actuals on hard-budget (delegated) lines up to `month`: what positions are made of."""
    return ActualSummary.objects.filter(
        year=year, month__lte=month, line__category=LineCategory.DELEGATED
    )


# --- Import problems and held activity ---------------------------------------------------------


def import_problems(*, commissioner: Organisation, year: int) -> dict:
    """Files of the year that failed (nothing imported), newest first, each marked `resolved`
    when a later file of the same kind, provider and month was imported (two queries)."""
    later_good = Upload.objects.filter(
        commissioner=commissioner,
        kind=OuterRef("kind"),
        year=OuterRef("year"),
        month=OuterRef("month"),
        source=OuterRef("source"),
        status__in=[UploadStatus.COMPLETE, UploadStatus.SUPERSEDED],
        uploaded_at__gt=OuterRef("uploaded_at"),
    )
    failed = Upload.objects.filter(
        commissioner=commissioner, kind__in=ACTIVITY_KINDS, year=year, status=UploadStatus.FAILED
    ).annotate(resolved=Exists(later_good))
    counts = failed.aggregate(total=Count("id"), outstanding=Count("id", filter=Q(resolved=False)))
    return {
        "shown": list(failed[:IMPORT_PROBLEMS_SHOWN]),
        "total": counts["total"],
        "outstanding": counts["outstanding"],
    }


def held_activity(*, commissioner: Organisation, year: int) -> dict:
    """Late activity held because its month was closed: rows and files (one query)."""
    totals = Upload.objects.filter(
        commissioner=commissioner,
        kind__in=ACTIVITY_KINDS,
        year=year,
        status=UploadStatus.COMPLETE,
        rows_held__gt=0,
    ).aggregate(rows=Sum("rows_held"), files=Count("id"))
    return {"rows": totals["rows"] or 0, "files": totals["files"]}


def last_run(*, commissioner: Organisation) -> ReconciliationRun | None:
    """The latest reconciliation run whatever its outcome (a failure is news)."""
    return (
        ReconciliationRun.objects.filter(commissioner=commissioner)
        .select_related("started_by")
        .order_by("-started_at", "-id")
        .first()
    )


# --- County -------------------------------------------------------------------------------------


def county_dashboard(*, user: User, commissioner: Organisation, run: ReconciliationRun | None):
    """The county at a month: each locality's allocation, YTD budget and actual, variance,
    forecast outturn and status; the county's forecast year-end position; cumulative actual
    against profile per locality; the last run and import problems (fixed queries).

    Only for people who may see the whole commissioner's money (404 otherwise).
    """
    if not can(user, Action.VIEW_MONEY, commissioner):
        raise Http404("No such organisation.")
    out = {
        "commissioner": commissioner,
        "run": run,
        "last_run": last_run(commissioner=commissioner),
        "county": None,
        "localities": [],
        "lines": [],
        "outlook": None,
        "series": [],
    }
    if run is None:
        return out
    positions = list(
        Position.objects.filter(
            run=run,
            organisation__kind__in=[OrganisationKind.COMMISSIONER, OrganisationKind.LOCALITY],
        ).select_related("organisation", "line")
    )
    county = next(
        (p for p in positions if p.organisation_id == commissioner.pk and p.line_id is None), None
    )
    localities = sorted(
        (
            p
            for p in positions
            if p.line_id is None and p.organisation.kind == OrganisationKind.LOCALITY
        ),
        key=lambda p: p.organisation.name,
    )
    county_lines = sorted(
        (p for p in positions if p.organisation_id == commissioner.pk and p.line_id is not None),
        key=lambda p: p.line.order,
    )
    profiles = _profiles(commissioner, run.year)
    actual_by: dict[int, list[int]] = defaultdict(lambda: [0] * run.month)
    for locality_id, month, amount in (
        _delegated_summaries(year=run.year, month=run.month)
        .filter(locality__parent=commissioner)
        .values_list("locality_id", "month")
        .annotate(s=Sum("actual"))
        .values_list("locality_id", "month", "s")
    ):
        actual_by[locality_id][month - 1] += amount
    lines_by_node: dict[int, list[Position]] = defaultdict(list)
    for p in positions:
        if p.line_id is not None:
            lines_by_node[p.organisation_id].append(p)
    series = [
        Series(
            node=p.organisation,
            profile=cumulative_profile(lines_by_node[p.organisation_id], profiles),
            actual=_cumulate(actual_by[p.organisation_id]),
            forecast_outturn=p.forecast_outturn,
        )
        for p in localities
    ]
    out.update(
        county=county,
        localities=localities,
        lines=county_lines,
        outlook=year_end_outlook(county),
        series=series,
    )
    return out


# --- A locality or sub-locality ----------------------------------------------------------------


@dataclass
class PracticeFigure:
    practice: Organisation
    ytd_actual: int
    month_actual: int
    weighted_population: Decimal | None
    index: int | None = None  # spend per weighted patient; 100 = the average here

    @property
    def index_words(self) -> str:
        """ "22% above the average", "5% below the average", "the average"."""
        if self.index is None:
            return ""
        if self.index == 100:
            return "the average"
        side = "above" if self.index > 100 else "below"
        return f"{abs(self.index - 100)}% {side} the average"


def _practice_index(figures: list[PracticeFigure]) -> None:
    """Set each practice's spend index: its spend per weighted patient against the average of
    the practices listed (their total spend ÷ their total weighted population) = 100."""
    weighted = [f for f in figures if f.weighted_population]
    total_wp = sum((f.weighted_population for f in weighted), Decimal(0))
    total_spend = sum(f.ytd_actual for f in weighted)
    if not total_wp or not total_spend:
        return
    average = Decimal(total_spend) / total_wp
    for f in weighted:
        per_head = Decimal(f.ytd_actual) / f.weighted_population
        f.index = int((per_head * 100 / average).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _weighted_populations(*, practices: list[Organisation], year: int) -> dict[int, Decimal]:
    """Practice id -> weighted population in the year's approved allocation model run."""
    return dict(
        ModelRunPractice.objects.filter(
            run__year=year, run__status=RunStatus.APPROVED, practice__in=practices
        ).values_list("practice_id", "weighted_population")
    )


def practices_under(*, node: Organisation, run: ReconciliationRun) -> list[PracticeFigure]:
    """The practices directly beneath `node` with their YTD and month actuals and spend index
    (three queries whatever the number of practices)."""
    practices = list(
        Organisation.objects.filter(parent=node, kind=OrganisationKind.PRACTICE).order_by("name")
    )
    if not practices:
        return []
    actuals = {
        row["organisation_id"]: row
        for row in _delegated_summaries(year=run.year, month=run.month)
        .filter(organisation__parent=node, organisation__kind=OrganisationKind.PRACTICE)
        .values("organisation_id")
        .annotate(ytd=Sum("actual"), this_month=Sum("actual", filter=Q(month=run.month)))
    }
    weights = _weighted_populations(practices=practices, year=run.year)
    figures = [
        PracticeFigure(
            practice=p,
            ytd_actual=(actuals.get(p.pk) or {}).get("ytd") or 0,
            month_actual=(actuals.get(p.pk) or {}).get("this_month") or 0,
            weighted_population=weights.get(p.pk),
        )
        for p in practices
    ]
    _practice_index(figures)
    return figures


def node_dashboard(*, user: User, node: Organisation, run: ReconciliationRun | None) -> dict:
    """A locality or sub-locality at a month: its position, by line, its sub-localities' positions
    or its practices' actuals, what is charged to the node itself (community services), and its
    cumulative actual against profile (fixed queries). 404 unless `user` may see its money."""
    if not can(user, Action.VIEW_MONEY, node):
        raise Http404("No such organisation.")
    out = {
        "node": node,
        "run": run,
        "trail": trail(node),
        "total": None,
        "lines": [],
        "children": [],
        "practices": [],
        "direct": {},
        "outlook": None,
        "series": None,
    }
    if run is None:
        return out
    depth = node.path.count("/")
    positions = [
        p
        for p in Position.objects.filter(
            run=run, organisation__path__startswith=node.path
        ).select_related("organisation", "line")
        if p.organisation.path.count("/") <= depth + 1
    ]
    total = next((p for p in positions if p.organisation_id == node.pk and p.line_id is None), None)
    lines = sorted(
        (p for p in positions if p.organisation_id == node.pk and p.line_id is not None),
        key=lambda p: p.line.order,
    )
    children = sorted(
        (
            p
            for p in positions
            if p.organisation_id != node.pk
            and p.line_id is None
            and can(user, Action.VIEW_MONEY, p.organisation)
        ),
        key=lambda p: p.organisation.name,
    )
    monthly = [0] * run.month
    for month, amount in (
        _delegated_summaries(year=run.year, month=run.month)
        .filter(organisation__path__startswith=node.path)
        .values_list("month")
        .annotate(s=Sum("actual"))
        .values_list("month", "s")
    ):
        monthly[month - 1] += amount
    direct = dict(
        _delegated_summaries(year=run.year, month=run.month)
        .filter(organisation=node)
        .values_list("line_id")
        .annotate(s=Sum("actual"))
        .values_list("line_id", "s")
    )
    out.update(
        total=total,
        lines=lines,
        children=children,
        practices=practices_under(node=node, run=run),
        direct=direct,
        outlook=year_end_outlook(total),
        series=Series(
            node=node,
            profile=cumulative_profile(lines, _profiles(run.commissioner, run.year)),
            actual=_cumulate(monthly),
            forecast_outturn=total.forecast_outturn if total else None,
        ),
    )
    return out


# --- A practice ---------------------------------------------------------------------------------


@dataclass
class LineFigure:
    line: BudgetLine
    months: list[int]  # actual M1..the run's month
    activity: int = 0
    rows: int = 0

    @property
    def ytd_actual(self) -> int:
        return sum(self.months)

    @property
    def month_actual(self) -> int:
        return self.months[-1] if self.months else 0


@dataclass
class PracticeDashboard:
    practice: Organisation
    run: ReconciliationRun | None
    trail: list[Organisation]
    lines: list[LineFigure] = field(default_factory=list)
    neighbours: list[PracticeFigure] = field(default_factory=list)
    figure: PracticeFigure | None = None

    @property
    def ytd_actual(self) -> int:
        return sum(f.ytd_actual for f in self.lines)

    @property
    def month_actual(self) -> int:
        return sum(f.month_actual for f in self.lines)

    @property
    def monthly(self) -> list[int]:
        months = self.run.month if self.run else 0
        return [sum(f.months[i] for f in self.lines) for i in range(months)]

    @property
    def chart_id(self) -> str:
        return f"chart-data-{self.practice.code}"

    def chart(self) -> dict:
        return {
            "labels": [f"M{i + 1}" for i in range(len(self.monthly))],
            "actual": [m // 100 for m in self.monthly],
        }


def practice_dashboard(
    *, user: User, practice: Organisation, run: ReconciliationRun | None
) -> PracticeDashboard:
    """A practice's actuals by hard-budget line and month up to the run's month, and its spend
    index beside the other practices under the same node (fixed queries)."""
    if not can(user, Action.VIEW_MONEY, practice):
        raise Http404("No such organisation.")
    out = PracticeDashboard(practice=practice, run=run, trail=trail(practice))
    if run is None:
        return out
    lines = list(
        BudgetLine.objects.filter(
            commissioner=run.commissioner, category=LineCategory.DELEGATED
        ).order_by("order")
    )
    figures = {line.pk: LineFigure(line=line, months=[0] * run.month) for line in lines}
    for line_id, month, actual, activity, rows in (
        _delegated_summaries(year=run.year, month=run.month)
        .filter(organisation=practice)
        .values_list("line_id", "month", "actual", "activity", "rows")
    ):
        figure = figures[line_id]
        figure.months[month - 1] += actual
        figure.activity += activity
        figure.rows += rows
    out.lines = [f for f in figures.values() if f.rows or f.ytd_actual]
    if practice.parent_id:
        out.neighbours = practices_under(node=practice.parent, run=run)
        out.figure = next((f for f in out.neighbours if f.practice.pk == practice.pk), None)
    return out


# --- The rows behind a figure ---------------------------------------------------------------------


def line_rows(
    *,
    user: User,
    node: Organisation,
    line: BudgetLine,
    year: int,
    month: int,
    page: int | str | None = 1,
    per_page: int = ROWS_PER_PAGE,
) -> dict:
    """The imported rows charged to `node` (a practice, or a locality for community services) on
    `line` in `month`, a page at a time, with the figure they make.

    The figure is the reconciliation's summary: rows of imported files (not superseded), not held
    for a closed month. Held rows are listed too, marked, because they will count once the month is
    reopened and reconciled. Fixed queries per page; filters by year and locality first so
    PostgreSQL reads only that locality's partition.
    """
    if not can(user, Action.VIEW_MONEY, node):
        raise Http404("No such organisation.")
    parts = node.path.strip("/").split("/")
    if len(parts) < 2:
        raise Http404("The county's rows are reached through its localities.")
    locality = Organisation.objects.filter(code=parts[1]).first()
    if locality is None:
        raise Http404("No such organisation.")
    # Counted from the uploads' totals, not the rows: the page itself is the only read of the
    # rows (one scan of the locality's partition, for the current uploads only).
    totals = {"rows": 0, "counted": 0, "held_rows": 0, "held": 0}
    uploads = set()
    for upload_id, held, rows, cost in _totals(
        node=node, locality=locality, line=line, year=year, month=month
    ):
        uploads.add(upload_id)
        totals["rows"] += rows
        if held:
            totals["held_rows"] += rows
            totals["held"] += cost
        else:
            totals["counted"] += cost
    rows = _CountedRows(
        rows_queryset(
            node=node, locality=locality, line=line, year=year, month=month, uploads=uploads
        ),
        totals["rows"],
    )
    months = dict(
        ActualSummary.objects.filter(year=year, organisation=node, line=line).values_list(
            "month", "actual"
        )
    )
    paginator = Paginator(rows, per_page)
    return {
        "node": node,
        "line": line,
        "year": year,
        "month": month,
        "year_label": year_label(year),
        "month_label": month_label(year, month),
        "trail": trail(node),
        "figure": months.get(month),
        "months": [
            {"month": m, "label": f"M{m} {MONTH_NAMES[m - 1]}", "actual": months.get(m)}
            for m in range(1, 13)
            if m in months or m == month
        ],
        "totals": totals,
        "page": paginator.get_page(page),
    }


def _totals(*, node, locality, line, year: int, month: int):
    """(upload, held, rows, cost) of the current uploads' rows charged to node × line × month."""
    return (
        ActivityTotal.objects.filter(
            year=year,
            month=month,
            locality=locality,
            organisation=node,
            line=line,
            upload__status=UploadStatus.COMPLETE,
        )
        .values_list("upload_id", "held")
        .annotate(rows=Sum("rows"), cost=Sum("cost"))
        .order_by("upload_id", "held")
    )


class _CountedRows:
    """Rows whose number is known already (from the totals): the paginator need not count them."""

    def __init__(self, queryset: QuerySet, count: int):
        self.queryset, self._count = queryset, count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key):
        return self.queryset[key]


def rows_queryset(
    *,
    node: Organisation,
    locality: Organisation,
    line: BudgetLine,
    year: int,
    month: int,
    uploads: set[int] | None = None,
) -> QuerySet[ActivityRow]:
    """Rows of current (imported, not superseded) files charged to node × line × month, in the
    order of the files and their rows. `uploads`: those files, if known already."""
    if uploads is None:
        uploads = {u for u, *_ in _totals(node=node, locality=locality, line=line, year=year,
                                           month=month)}  # fmt: skip
    return (
        ActivityRow.objects.filter(
            year=year,
            locality=locality,
            month=month,
            organisation=node,
            line=line,
            upload_id__in=sorted(uploads),
        )
        .select_related("provider", "upload")
        .order_by("id")
    )


def line_get(*, commissioner_code: str, code: str) -> BudgetLine:
    line = BudgetLine.objects.filter(commissioner__code=commissioner_code, code=code).first()
    if line is None:
        raise Http404("No such budget line.")
    return line
