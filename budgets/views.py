"""Budget pages: allocations by organisation and line, an account's ledger, the allocation model
run explained step by step, and virements. Thin: each calls selectors and one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from consortia.errors import ApplicationError
from consortia.exports import csv_response, xlsx_response
from consortia.money import format_money

from . import exports, services
from .forms import VirementApproveForm, VirementRejectForm, VirementRequestForm
from .periods import financial_year_of, year_label
from .selectors import (
    account_statement,
    accounts_for_virement,
    allocation_overview,
    budget_years_visible_to,
    commissioners_for_money,
    model_run_explanation,
    model_run_get_visible,
    model_run_may_approve,
    model_runs_visible_to,
    virement_decision_rights,
    virement_get_visible,
    virements_visible_to,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100  # years outside this range are not budgets: 404


def _errors(form, default_anchor: str) -> list[tuple[str, str]]:
    """(anchor, message) pairs for the NHS error summary; each links to its field."""
    out = []
    for name, messages_ in form.errors.items():
        anchor = default_anchor if name == "__all__" else f"#{name}"
        out += [(anchor, message) for message in messages_]
    return out


def _add_service_error(form, exc: Exception, fallback_field: str | None = None) -> None:
    """Show a service's refusal on the form, against the field it names if the form has it."""
    if isinstance(exc, ApplicationError):
        field, message = exc.extra.get("field"), exc.message
    else:
        field, message = None, str(exc) or "Your role does not allow this."
    if field not in form.fields:
        field = fallback_field if fallback_field in form.fields else None
    form.add_error(field, message)


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
def budgets_home(request):
    """Start at the latest year with budgets the person may see."""
    years = budget_years_visible_to(user=request.user)
    return redirect(
        "budgets-year", year=years[0] if years else financial_year_of(timezone.localdate())
    )


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
def account_detail(request, pk: int):
    return render(
        request,
        "budgets/account_detail.html",
        {"statement": account_statement(user=request.user, pk=pk)},
    )


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


@login_required
def virement_list(request):
    """Virements the person may see, and a form to request one between budgets they manage."""
    accounts = accounts_for_virement(user=request.user)
    form = VirementRequestForm(
        request.POST or None, accounts=accounts, initial={"source": request.GET.get("source")}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                virement = services.virement_request(
                    actor=request.user,
                    source=form.cleaned_data["source"],
                    target=form.cleaned_data["target"],
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                )
            except (ApplicationError, PermissionDenied) as exc:
                _add_service_error(form, exc, fallback_field="source")
            else:
                messages.success(
                    request,
                    f"Virement #{virement.pk} of {format_money(virement.amount)} requested. "
                    "It moves no money until someone with the authority approves it.",
                )
                return redirect("budgets-virement", pk=virement.pk)
        status = 400
    context = {
        "virements": virements_visible_to(user=request.user),
        "form": form,
        "accounts": list(accounts),
        "errors": _errors(form, "#source") if form.is_bound else [],
    }
    return render(request, "budgets/virement_list.html", context, status=status)


def _virement_page(request, virement, approve_form=None, reject_form=None, status=200):
    approve_form = approve_form or VirementApproveForm()
    reject_form = reject_form or VirementRejectForm()
    rights = virement_decision_rights(user=request.user, virement=virement)
    errors = []
    if approve_form.is_bound:
        errors += _errors(approve_form, "#approve" if rights["may_approve"] else "#maincontent")
    if reject_form.is_bound:
        errors += _errors(reject_form, "#reject" if rights["may_reject"] else "#maincontent")
    context = {
        "virement": virement,
        "rights": rights,
        "approve_form": approve_form,
        "reject_form": reject_form,
        "errors": errors,
    }
    return render(request, "budgets/virement_detail.html", context, status=status)


@login_required
def virement_detail(request, pk: int):
    return _virement_page(request, virement_get_visible(user=request.user, pk=pk))


@login_required
@require_POST
def virement_approve(request, pk: int):
    virement = virement_get_visible(user=request.user, pk=pk)
    form = VirementApproveForm(request.POST)
    if form.is_valid():
        try:
            services.virement_approve(
                virement=virement,
                actor=request.user,
                override_reason=form.cleaned_data["override_reason"],
            )
        except (ApplicationError, PermissionDenied) as exc:
            overridable = (
                isinstance(exc, ApplicationError)
                and "available_pence" in exc.extra
                and virement_decision_rights(user=request.user, virement=virement)["may_override"]
            )
            _add_service_error(form, exc, "override_reason" if overridable else None)
        else:
            messages.success(
                request,
                f"Virement #{virement.pk} approved: {format_money(virement.amount)} moved from "
                f"{virement.source.line.name} to {virement.target.line.name}.",
            )
            return redirect("budgets-virement", pk=virement.pk)
    return _virement_page(request, virement, approve_form=form, status=400)


@login_required
@require_POST
def virement_reject(request, pk: int):
    virement = virement_get_visible(user=request.user, pk=pk)
    form = VirementRejectForm(request.POST)
    if form.is_valid():
        try:
            services.virement_reject(
                virement=virement, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except (ApplicationError, PermissionDenied) as exc:
            _add_service_error(form, exc)
        else:
            messages.success(request, f"Virement #{virement.pk} rejected. No money moved.")
            return redirect("budgets-virement", pk=virement.pk)
    return _virement_page(request, virement, reject_form=form, status=400)
