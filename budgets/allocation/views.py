"""Allocation pages: allocations by organisation and line (with exports), and the allocation
model run explained step by step. Thin: each calls selectors and one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from budgets.ledger.selectors import budget_years_visible_to, commissioners_for_money
from budgets.periods import year_label
from consortia.errors import ApplicationError
from consortia.exports import csv_response, xlsx_response
from consortia.money import format_money

from . import exports, services
from .selectors import (
    allocation_overview,
    model_run_explanation,
    model_run_get_visible,
    model_run_may_approve,
    model_runs_visible_to,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100  # years outside this range are not budgets: 404


def _commissioner(request):
    commissioners = commissioners_for_money(user=request.user)
    if not commissioners:
        raise PermissionDenied("Your role does not include budgets. Ask your administrator.")
    code = request.GET.get("commissioner")
    for commissioner in commissioners:
        if commissioner.code == code:
            return commissioner
    return commissioners[0]


def _overview(request, year: int) -> dict:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404("No such financial year.")
    return allocation_overview(user=request.user, commissioner=_commissioner(request), year=year)


@login_required
def allocations(request, year: int):
    overview = _overview(request, year)
    context = {
        "overview": overview,
        "years": [(y, year_label(y)) for y in budget_years_visible_to(user=request.user)],
        "query": request.GET.urlencode(),
    }
    return render(request, "budgets/allocations.html", context)


@login_required
def allocations_csv(request, year: int):
    overview = _overview(request, year)
    return csv_response(
        exports.allocation_filename(overview, "csv"),
        exports.allocation_header(overview),
        exports.allocation_rows(overview),
    )


@login_required
def allocations_xlsx(request, year: int):
    overview = _overview(request, year)
    sheet = exports.Sheet(
        f"Allocations {year_label(year)}",
        exports.allocation_header(overview),
        exports.allocation_rows(overview),
    )
    return xlsx_response(exports.allocation_filename(overview, "xlsx"), [sheet])


@login_required
def model_run_list(request):
    runs = model_runs_visible_to(user=request.user).select_related(
        "commissioner", "parameters", "decided_by"
    )
    return render(request, "budgets/model_run_list.html", {"runs": runs})


def _model_run_page(request, run, error_messages=(), status=200):
    may_approve = model_run_may_approve(user=request.user, run=run)
    anchor = "#approve" if may_approve else "#maincontent"
    context = {
        "explanation": model_run_explanation(run=run),
        "may_approve": may_approve,
        "errors": [(anchor, message) for message in error_messages],
    }
    return render(request, "budgets/model_run_detail.html", context, status=status)


@login_required
def model_run_detail(request, pk: int):
    return _model_run_page(request, model_run_get_visible(user=request.user, pk=pk))


@login_required
@require_POST
def model_run_approve(request, pk: int):
    run = model_run_get_visible(user=request.user, pk=pk)
    try:
        txn = services.model_run_approve(run=run, actor=request.user)
    except (ApplicationError, PermissionDenied) as exc:
        message = exc.message if isinstance(exc, ApplicationError) else str(exc)
        return _model_run_page(request, run, error_messages=[message], status=400)
    total = sum(leg.amount for leg in txn.legs.all() if leg.amount > 0)
    messages.success(
        request,
        f"{run} approved: {format_money(total)} posted to the budgets (transaction #{txn.pk}).",
    )
    return redirect("budgets-run", pk=run.pk)


@login_required
def model_run_csv(request, pk: int):
    explanation = model_run_explanation(run=model_run_get_visible(user=request.user, pk=pk))
    return csv_response(
        exports.model_run_filename(explanation, "steps", "csv"),
        exports.STEP_HEADER,
        exports.model_run_step_rows(explanation),
    )


@login_required
def model_run_practices_csv(request, pk: int):
    explanation = model_run_explanation(run=model_run_get_visible(user=request.user, pk=pk))
    return csv_response(
        exports.model_run_filename(explanation, "practices", "csv"),
        exports.PRACTICE_HEADER,
        exports.model_run_practice_rows(explanation),
    )


@login_required
def model_run_xlsx(request, pk: int):
    explanation = model_run_explanation(run=model_run_get_visible(user=request.user, pk=pk))
    return xlsx_response(
        exports.model_run_filename(explanation, "every-step", "xlsx"),
        exports.model_run_sheets(explanation),
    )
