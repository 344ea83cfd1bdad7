"""Outcome pages: the comparison of two periods by area beside the comparator, the counts and the
comparison as CSV or XLSX with the page's filters, and the import of a file of counts. Thin."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from consortia.errors import ApplicationError
from consortia.exports import Sheet, csv_response, xlsx_response
from consortia.imports.selectors import upload_file_downloadable, upload_status_context
from consortia.models import Organisation
from consortia.permissions import Action, can

from . import exports
from .layouts import OUTCOMES
from .models import OutcomeMeasure
from .selectors import (
    outcome_commissioners_for,
    outcome_comparison,
    outcome_counts_visible_to,
    outcome_import_get_visible,
    outcome_imports_visible_to,
)
from .services import outcome_import_create, parse_period


def _commissioner(request) -> Organisation:
    commissioners = outcome_commissioners_for(user=request.user)
    if not commissioners:
        raise PermissionDenied("You have no role in any organisation yet. Ask your administrator.")
    code = request.GET.get("commissioner")
    return next((c for c in commissioners if c.code == code), commissioners[0])


def _filters(request) -> tuple[dict, list[tuple[str, str]]]:
    """The comparison asked for: a measure (or all) and two periods (or each measure's own)."""
    errors: list[tuple[str, str]] = []
    measure = request.GET.get("measure", "")
    if measure and measure not in OutcomeMeasure.values:
        errors.append(("#measure", "Choose a measure from the list."))
        measure = ""
    periods = {}
    for name in ("before", "after"):
        text = request.GET.get(name, "").strip()
        if text:
            try:
                periods[name] = parse_period(text)
            except ValueError as exc:
                errors.append((f"#{name}", str(exc)))
    if len(periods) == 1 and not errors:
        missing = "before" if "after" in periods else "after"
        errors.append((f"#{missing}", "Choose both periods, or neither for each measure's own."))
    if len(periods) != 2:
        periods = {}
    return {
        "measures": [measure] if measure else None,
        "before": periods.get("before"),
        "after": periods.get("after"),
    }, errors


def _comparison(request) -> tuple[dict, list, str]:
    filters, errors = _filters(request)
    data = outcome_comparison(user=request.user, commissioner=_commissioner(request), **filters)
    return data, errors, request.GET.urlencode()


@login_required
def outcomes(request):
    data, errors, query = _comparison(request)
    commissioner = data["commissioner"]
    return render(
        request,
        "localities/outcomes.html",
        {
            **data,
            "errors": errors,
            "query": f"?{query}" if query else "",
            "measures": OutcomeMeasure.choices,
            "layouts": [OUTCOMES],
            "chosen": {k: request.GET.get(k, "") for k in ("measure", "before", "after")},
            "may_import": can(request.user, Action.MANAGE_TREE, commissioner),
        },
    )


def _download(table: exports.Table, fmt: str):
    if fmt == "csv":
        return csv_response(f"{table.filename}.csv", table.header, table.rows)
    if fmt == "xlsx":
        return xlsx_response(
            f"{table.filename}.xlsx", [Sheet(table.title, table.header, table.rows)]
        )
    raise Http404("Choose CSV or XLSX.")


@login_required
def comparison_export(request, fmt: str):
    data, errors, _ = _comparison(request)
    if errors:
        raise Http404(errors[0][1])
    return _download(exports.comparison_table(data), fmt)


@login_required
def counts_export(request, fmt: str):
    """The counts as imported, filtered by area, measure and period."""
    counts = outcome_counts_visible_to(user=request.user).filter(
        commissioner=_commissioner(request)
    )
    if request.GET.get("area"):
        counts = counts.filter(area=request.GET["area"].strip().upper())
    if request.GET.get("measure"):
        counts = counts.filter(measure=request.GET["measure"])
    if request.GET.get("period"):
        try:
            year, month = parse_period(request.GET["period"])
        except ValueError as exc:
            raise Http404(str(exc)) from exc
        counts = counts.filter(year=year, month=month)
    return _download(exports.counts_table(counts), fmt)


@login_required
def imports(request):
    """Upload a file of counts (reference-data keepers), and the files so far."""
    commissioner = _commissioner(request)
    may_import = can(request.user, Action.MANAGE_TREE, commissioner)
    errors = []
    if request.method == "POST":
        if not may_import:
            raise PermissionDenied(
                "Only the keepers of reference data (PCT finance) import outcomes."
            )
        upload = request.FILES.get("file")
        if upload is None:
            errors.append(("#file", "Choose a CSV or XLSX file of counts."))
        else:
            try:
                record = outcome_import_create(
                    actor=request.user, commissioner=commissioner, upload=upload
                )
            except ApplicationError as exc:
                errors.append(("#file", exc.message))
            else:
                return redirect("outcomes-import", pk=record.pk)
    return render(
        request,
        "localities/outcome_imports.html",
        {
            "commissioner": commissioner,
            "may_import": may_import,
            "errors": errors,
            "imports": outcome_imports_visible_to(user=request.user).filter(
                commissioner=commissioner
            )[:50],
            "measures": OutcomeMeasure.choices,
            "layouts": [OUTCOMES],
        },
        status=400 if errors else 200,
    )


@login_required
def import_detail(request, pk: int):
    upload = outcome_import_get_visible(user=request.user, pk=pk)
    context = upload_status_context(upload, status_url=reverse("outcomes-import", args=[pk]))
    context["may_download"] = upload_file_downloadable(request.user, upload)
    return render(request, "localities/outcome_import_detail.html", context)
