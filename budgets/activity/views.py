"""Pages for activity imports, reconciliation runs, month-end close and positions. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from budgets.periods import MONTH_NAMES, year_label
from consortia.errors import ApplicationError
from consortia.imports.selectors import upload_file_downloadable, upload_status_context
from consortia.models import Organisation, OrganisationKind
from consortia.permissions import Action, can, organisations_for

from .forms import PeriodForm, ReopenForm, UploadForm
from .holds import held_for_positions
from .layouts import LAYOUTS
from .selectors import (
    import_get_visible,
    imports_visible_to,
    latest_run,
    month_closes,
    positions_for,
    providers_for,
    runs_visible_to,
)
from .services.imports import activity_file_receive
from .services.reconciliation import month_close, month_reopen, reconciliation_start


def _commissioner(user) -> Organisation:
    node = (
        organisations_for(user, Action.VIEW_MONEY)
        .filter(kind=OrganisationKind.COMMISSIONER)
        .first()
    )
    if node is None:
        node = organisations_for(user, Action.VIEW_MONEY).order_by("path").first()
        if node is None:
            raise PermissionDenied("Your role does not include money.")
        node = Organisation.objects.get(path="/" + node.commissioner_code + "/")
    return node


def _form_errors(form) -> list[tuple[str, str]]:
    return [
        (f"#id_{name}" if name != "__all__" else "#main", message)
        for name, errors in form.errors.items()
        for message in errors
    ]


@login_required
def imports(request):
    """Upload a file, and the list of files with their status."""
    commissioner = _commissioner(request.user)
    may_upload = can(request.user, Action.CHANGE_MONEY, commissioner)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not may_upload:
            raise PermissionDenied("Only finance uploads activity files.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                upload = activity_file_receive(
                    actor=request.user,
                    commissioner=commissioner,
                    kind=data["kind"],
                    year=data["year"],
                    month=data["month"],
                    provider_code=data["provider"] or "",
                    upload=data["file"],
                    revision=data["revision"],
                    control_rows=data["control_rows"],
                    control_total=data["control_total"] or "",
                )
            except ApplicationError as exc:
                field = exc.extra.get("field")
                field = {"revision_of": "revision", "declared_rows": "control_rows"}.get(
                    field, field
                )
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                return redirect("activity-import", pk=upload.pk)
    return render(
        request,
        "budgets/activity/imports.html",
        {
            "form": form,
            "errors": _form_errors(form),
            "may_upload": may_upload,
            "imports": imports_visible_to(user=request.user)[:100],
            "layouts": list(LAYOUTS.values()),
            "providers": providers_for(commissioner=commissioner),
        },
    )


@login_required
def import_detail(request, pk: int):
    upload = import_get_visible(user=request.user, pk=pk)
    context = upload_status_context(upload, status_url=reverse("activity-import", args=[pk]))
    context["may_download"] = upload_file_downloadable(request.user, upload)
    if request.headers.get("HX-Request"):
        return render(request, "imports/_status.html", context)
    return render(request, "budgets/activity/import_detail.html", context)


@login_required
def reconciliation(request):
    """Start a run, close or reopen months, and the list of runs."""
    commissioner = _commissioner(request.user)
    may_run = can(request.user, Action.CHANGE_MONEY, commissioner)
    runs = runs_visible_to(user=request.user).filter(commissioner=commissioner)[:50]
    last = latest_run(commissioner=commissioner)
    year = int(request.GET.get("year") or (last.year if last else 2010))
    return render(
        request,
        "budgets/activity/reconciliation.html",
        {
            "runs": runs,
            "may_run": may_run,
            "year": year,
            "year_label": year_label(year),
            "closes": month_closes(commissioner=commissioner, year=year),
            "months": list(enumerate(MONTH_NAMES, start=1)),
            "last": last,
            "period_form": PeriodForm(initial={"year": year}),
            "reopen_form": ReopenForm(initial={"year": year}),
        },
    )


def _period_action(request, action):
    commissioner = _commissioner(request.user)
    form_class = ReopenForm if action == "reopen" else PeriodForm
    form = form_class(request.POST)
    if not form.is_valid():
        for _, message in _form_errors(form):
            messages.error(request, message)
        return redirect("reconciliation")
    data = form.cleaned_data
    try:
        if action == "run":
            run = reconciliation_start(
                actor=request.user,
                commissioner=commissioner,
                year=data["year"],
                month=data["month"],
                trigger="page",
            )
            messages.success(request, f"Reconciliation #{run.pk} started.")
        elif action == "close":
            month_close(
                actor=request.user,
                commissioner=commissioner,
                year=data["year"],
                month=data["month"],
            )
            messages.success(request, f"M{data['month']} closed: its figures are frozen.")
        else:
            month_reopen(
                actor=request.user,
                commissioner=commissioner,
                year=data["year"],
                month=data["month"],
                reason=data["reason"],
            )
            messages.success(request, f"M{data['month']} reopened.")
    except (ApplicationError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    return redirect(f"/reconciliation/?year={data['year']}")


@login_required
@require_POST
def reconciliation_run(request):
    return _period_action(request, "run")


@login_required
@require_POST
def month_close_view(request):
    return _period_action(request, "close")


@login_required
@require_POST
def month_reopen_view(request):
    return _period_action(request, "reopen")


@login_required
def positions(request, year: int, month: int, code: str):
    """A node's position against its hard budget at a month, by line and by its children."""
    node = Organisation.objects.filter(code=code).first()
    if node is None:
        raise Http404("No such organisation.")
    commissioner = Organisation.objects.get(path="/" + node.commissioner_code + "/")
    run = latest_run(commissioner=commissioner, year=year, month=month)
    if run is None:
        raise Http404("No reconciliation for that month yet.")
    data = positions_for(user=request.user, node=node, run=run)
    # Payment on information (referrals app): of the actuals, what is held until GPs have
    # the clinic letters and discharge summaries.
    held = held_for_positions(node=node, year=year, month=run.month)
    return render(
        request,
        "budgets/activity/positions.html",
        {"node": node, "run": run, "year_label": year_label(year), "held": held, **data},
    )
