"""Money dashboards: the county, a locality or sub-locality, a practice, and the imported rows
behind a practice's line figure; each table also as CSV and XLSX with the page's filters. Thin:
each view reads the period asked for, calls one selector and renders."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from budgets.periods import MONTH_NAMES, month_label, year_label
from consortia.exports import Sheet, csv_response, xlsx_response
from consortia.models import Organisation, OrganisationKind
from consortia.permissions import Action, can

from ..activity.holds import held_payments_for
from . import exports
from .selectors import (
    county_dashboard,
    dashboard_run,
    held_activity,
    import_problems,
    line_get,
    line_rows,
    money_commissioner_for,
    money_start_for,
    node_dashboard,
    node_get_for_money,
    practice_dashboard,
    reconciled_periods,
    rows_queryset,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _int(value: str | None, low: int, high: int, name: str, errors: list) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        errors.append((f"#{name}", _PERIOD_HELP[name]))
        return None
    return number


_PERIOD_HELP = {
    "year": "Enter the financial year as the year it starts in, for example 2010 for 2010-11.",
    "month": "Choose a month from M1 (April) to M12 (March).",
}


def _period(request) -> tuple[int | None, int | None, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    year = _int(request.GET.get("year"), FIRST_YEAR, LAST_YEAR, "year", errors)
    month = _int(request.GET.get("month"), 1, 12, "month", errors)
    if (year is None) != (month is None) and not errors:
        errors.append(("#month" if month is None else "#year", "Choose both a year and a month."))
        year = month = None
    return year, month, errors


def _commissioner_of(node: Organisation) -> Organisation:
    return Organisation.objects.get(path="/" + node.commissioner_code + "/")


def _period_context(request, commissioner: Organisation) -> dict:
    """The run to show and what the period form needs (two queries)."""
    year, month, errors = _period(request)
    run = dashboard_run(commissioner=commissioner, year=year, month=month)
    periods = reconciled_periods(commissioner=commissioner)
    shown_year = run.year if run else (year or (periods[0][0] if periods else None))
    shown_month = run.month if run else month
    return {
        "run": run,
        "periods": [
            {"year": y, "month": m, "label": f"{month_label(y, m)} ({year_label(y)})"}
            for y, m in periods
        ],
        "years": sorted({y for y, _ in periods}, reverse=True),
        "months": list(enumerate(MONTH_NAMES, start=1)),
        "chosen_year": shown_year,
        "chosen_month": shown_month,
        "asked": (year, month) if year and month else None,
        "errors": errors,
        "year_label": year_label(shown_year) if shown_year else "",
        "month_label": month_label(run.year, run.month) if run else "",
        "query": f"?year={run.year}&month={run.month}" if run else "",
    }


@login_required
def county(request):
    """The county dashboard, or the highest node the person may see money for."""
    commissioner = money_commissioner_for(user=request.user)
    if commissioner is None:
        raise PermissionDenied("Your role does not include money. Ask your administrator.")
    start = money_start_for(user=request.user)
    if start is not None and start.pk != commissioner.pk:
        url = reverse("dashboard-node", args=[start.code])
        return redirect(url + ("?" + request.GET.urlencode() if request.GET else ""))
    return _county_page(request, commissioner)


def _county_page(request, commissioner: Organisation):
    period = _period_context(request, commissioner)
    run = period["run"]
    data = county_dashboard(user=request.user, commissioner=commissioner, run=run)
    year = period["chosen_year"]
    context = {
        **period,
        **data,
        "problems": import_problems(commissioner=commissioner, year=year) if year else None,
        "held": held_activity(commissioner=commissioner, year=year) if year else None,
        "held_payments": held_payments_for(
            user=request.user, commissioner=commissioner, year=run.year, month=run.month
        )
        if run
        else None,
    }
    return render(request, "budgets/dashboard/county.html", context)


@login_required
def node(request, code: str):
    """A locality, sub-locality or practice; the county's code shows the county dashboard."""
    target = node_get_for_money(user=request.user, code=code)
    commissioner = _commissioner_of(target)
    if target.kind == OrganisationKind.COMMISSIONER:
        return _county_page(request, commissioner)
    period = _period_context(request, commissioner)
    if target.kind == OrganisationKind.PRACTICE:
        data = practice_dashboard(user=request.user, practice=target, run=period["run"])
        return render(request, "budgets/dashboard/practice.html", {**period, "dashboard": data})
    data = node_dashboard(user=request.user, node=target, run=period["run"])
    return render(request, "budgets/dashboard/node.html", {**period, **data})


@login_required
def rows(request, code: str, line: str):
    """The imported rows behind a node's figure on one line in one month, a page at a time."""
    target = node_get_for_money(user=request.user, code=code)
    budget_line = line_get(commissioner_code=target.commissioner_code, code=line)
    year, month, errors = _period(request)
    if year is None or month is None:
        raise Http404("Choose a year and a month.")
    data = line_rows(
        user=request.user,
        node=target,
        line=budget_line,
        year=year,
        month=month,
        page=request.GET.get("page"),
    )
    commissioner = Organisation.objects.get(path="/" + target.commissioner_code + "/")
    return render(
        request,
        "budgets/dashboard/rows.html",
        {
            **data,
            "query": f"?year={year}&month={month}",
            # The import files are finance's records: link to them only for those who may see them.
            "may_open_imports": can(request.user, Action.VIEW_MONEY, commissioner),
        },
    )


@login_required
def rows_export(request, code: str, line: str, fmt: str):
    target = node_get_for_money(user=request.user, code=code)
    budget_line = line_get(commissioner_code=target.commissioner_code, code=line)
    year, month, _ = _period(request)
    if year is None or month is None or fmt not in ("csv", "xlsx"):
        raise Http404("Choose a year, a month and CSV or XLSX.")
    data = line_rows(user=request.user, node=target, line=budget_line, year=year, month=month)
    queryset = rows_queryset(
        node=target,
        locality=Organisation.objects.get(code=target.path.strip("/").split("/")[1]),
        line=budget_line,
        year=year,
        month=month,
    )
    table = exports.rows_table(data, queryset)
    return _download(table, fmt)


@login_required
def export(request, code: str, table: str, fmt: str):
    """One table of a dashboard page as CSV or XLSX, for the period the page shows."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Choose CSV or XLSX.")
    target = node_get_for_money(user=request.user, code=code)
    commissioner = _commissioner_of(target)
    period = _period_context(request, commissioner)
    run = period["run"]
    if run is None:
        raise Http404("No reconciliation for that month yet.")
    if target.kind == OrganisationKind.COMMISSIONER:
        data = county_dashboard(user=request.user, commissioner=commissioner, run=run)
        tables = exports.county_tables(data)
    elif target.kind == OrganisationKind.PRACTICE:
        tables = exports.practice_tables(
            practice_dashboard(user=request.user, practice=target, run=run)
        )
    else:
        tables = exports.node_tables(node_dashboard(user=request.user, node=target, run=run))
    if table not in tables:
        raise Http404("No such table.")
    return _download(tables[table](), fmt)


def _download(table: exports.Table, fmt: str):
    if fmt == "csv":
        return csv_response(f"{table.filename}.csv", table.header, table.rows)
    return xlsx_response(f"{table.filename}.xlsx", [Sheet(table.title, table.header, table.rows)])
