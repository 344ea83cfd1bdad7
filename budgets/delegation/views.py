"""Virement pages: request one, and approve or reject it. Thin: each calls selectors and one
service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from consortia.errors import ApplicationError
from consortia.money import format_money

from . import services
from .forms import VirementApproveForm, VirementRejectForm, VirementRequestForm
from .selectors import (
    accounts_for_virement,
    virement_decision_rights,
    virement_get_visible,
    virements_visible_to,
)


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
