"""Pages of the referrals app. Thin: read the request, call one selector or service, render.

Every list page downloads as CSV or XLSX with `?export=csv` or `?export=xlsx` (the same rows,
anonymised alike).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from budgets.activity.selectors import providers_for
from budgets.periods import month_label, year_label
from consortia.errors import ApplicationError
from consortia.imports.layouts import layout_for
from consortia.imports.selectors import upload_status_context
from consortia.models import Organisation, OrganisationKind
from consortia.money import to_pence
from consortia.permissions import Action, can, grants_for, holds_role_over

from . import exports
from . import selectors as s
from .forms import (
    InterestForm,
    JustifyForm,
    ReviewCloseForm,
    ReviewNoteForm,
    ReviewOpenForm,
    SchemeActivityForm,
    SchemeForm,
    UploadForm,
)
from .layouts import LAYOUTS
from .models import SPECIALTIES, Overdispersion
from .periods import Period
from .services import (
    conflict_justify,
    interest_declare,
    peer_review_close,
    peer_review_note_add,
    peer_review_open,
    provider_payment_on_information_set,
    referral_import_create,
    scheme_activity_record,
    scheme_register,
)


def _export(request, name: str, table: tuple[list[str], list[list]]):
    kind = request.GET.get("export")
    if kind in ("csv", "xlsx"):
        return exports.download(kind, name, *table)
    return None


def _form_errors(form) -> list[tuple[str, str]]:
    return [
        (f"#id_{name}" if name != "__all__" else "#maincontent", message)
        for name, errors in form.errors.items()
        for message in errors
    ]


def _apply_error(form, exc: ApplicationError) -> None:
    field = exc.extra.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


def _year(request, commissioner) -> int:
    try:
        return int(request.GET.get("year") or s.latest_year(commissioner=commissioner))
    except ValueError as exc:
        raise Http404("No such year.") from exc


def _home_locality(user) -> Organisation | None:
    """The locality a person's role is in (a lead's, a sub-locality lead's, a practice's)."""
    for grant in grants_for(user, Action.VIEW_ORGANISATION):
        parts = grant.path.strip("/").split("/")
        if len(parts) >= 2:
            return Organisation.objects.filter(code=parts[1]).first()
    return None


def _base(request) -> dict:
    commissioner = s.commissioner_for(request.user)
    return {"commissioner": commissioner, "synthetic": s.is_demo(commissioner=commissioner)}


@login_required
def home(request):
    """What needs a lead GP's eye: outliers in their locality, open reviews, slow providers,
    payment held, schemes' savings."""
    context = _base(request)
    commissioner = context["commissioner"]
    year = _year(request, commissioner)
    locality = _home_locality(request.user)
    if locality is not None and locality.kind == OrganisationKind.LOCALITY:
        context["outliers"] = s.outliers_for(user=request.user, locality=locality, year=year)
        context["reviews"] = s.open_peer_reviews(user=request.user, locality=locality)
        context["schemes"] = s.scheme_savings(user=request.user, locality=locality)
    context["slow"] = s.slow_providers(user=request.user, commissioner=commissioner, year=year)[:4]
    context.update(
        {
            "locality": locality,
            "year": year,
            "year_label": year_label(year),
            "period": s.latest_period(commissioner=commissioner, year=year),
            "specialties": s.specialties_with_referrals(commissioner=commissioner, year=year),
            "may_import": can(request.user, Action.CHANGE_MONEY, commissioner),
        }
    )
    return render(request, "referrals/home.html", context)


def _comparison_context(request, measure: str | None) -> dict:
    context = _base(request)
    commissioner = context["commissioner"]
    measure = measure or request.GET.get("measure") or "130"
    year = _year(request, commissioner)
    try:
        period = (
            Period.parse(request.GET["period"])
            if request.GET.get("period")
            else s.latest_period(commissioner=commissioner, year=year, measure=measure)
        )
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    peers = commissioner
    if request.GET.get("peers"):
        peers = Organisation.objects.filter(
            code=request.GET["peers"], path__startswith=commissioner.path
        ).first()
        if peers is None:
            raise Http404("No such peer group.")
    weighted = request.GET.get("basis", "weighted") != "crude"
    overdispersion = request.GET.get("overdispersion") or None
    if overdispersion not in (None, *Overdispersion.values):
        raise Http404("No such adjustment.")
    data = s.comparison(
        user=request.user,
        commissioner=commissioner,
        measure=measure,
        period=period,
        peers=peers,
        weighted=weighted,
        overdispersion=overdispersion,
    )
    own = next((r.label for r in data.rows if r.own), "")
    chart = {
        "points": [
            {
                "n": r.population if not weighted else float(r.weighted_population),
                "rate": round(r.rate, 2),
                "label": r.label,
                "flag": r.flag,
            }
            for r in data.rows
        ],  # fmt: skip
        "curve": [{**c, "target": data.funnel.target} for c in data.curve],
        "x_label": "Weighted patients" if weighted else "Registered patients",
        "y_label": data.unit,
        "own": own,
    }
    # The chart's x-axis is the population (the funnel's denominator per year of data).
    years = data.months_with_data / 12 if data.months_with_data else 1
    for c in chart["curve"]:
        c["n"] = c["n"] / years
    localities = list(
        Organisation.objects.filter(parent=commissioner, kind=OrganisationKind.LOCALITY)
    )
    year_choices = [Period(period.year, q) for q in (1, 2, 3, 4)] + [Period(period.year)]
    context.update(
        {
            "data": data,
            "chart": chart,
            "measure": measure,
            "period": period,
            "periods": year_choices,
            "peer_choices": [commissioner, *localities],
            "specialties": sorted(SPECIALTIES.items()),
            "basis": "weighted" if weighted else "crude",
            "overdispersions": Overdispersion.choices,
            "overdispersion_label": Overdispersion(data.overdispersion).label,
            "anonymised": any(not r.named for r in data.rows),
            "query": request.GET.urlencode(),
        }
    )
    return context


@login_required
def comparison(request):
    """Practices' referral rates for a specialty beside their peers': funnel plot and table."""
    context = _comparison_context(request, None)
    exported = _export(
        request, f"referrals-{context['measure']}-{context['period'].code}",
        exports.comparison_table(context["data"]),
    )  # fmt: skip
    return exported or render(request, "referrals/comparison.html", context)


@login_required
def prescribing(request):
    """Prescribing items and cost per weighted patient beside the peers'."""
    context = _comparison_context(request, s.PRESCRIBING)
    exported = _export(
        request, f"prescribing-{context['period'].code}", exports.comparison_table(context["data"])
    )
    return exported or render(request, "referrals/comparison.html", context)


def _trend_json(trend) -> dict:
    if trend.spc is None:
        return {"points": [], "reviews": []}
    return {
        "points": trend.points,
        "mean": round(trend.spc.mean, 2),
        "upper": round(trend.spc.upper, 2),
        "lower": round(trend.spc.lower, 2),
        "y_label": f"{trend.measure_name}: rate per 1,000 "
        + ("weighted " if trend.weighted else "")
        + "patients a year",
        "reviews": [
            {"label": f"{r.opened_on:%b %Y}", "date": f"{r.opened_on:%d %b %Y}"}
            for r in trend.reviews
        ],
    }


@login_required
def trend(request, code: str):
    """A practice's monthly rate as a "Making Data Count" SPC chart, peer reviews marked."""
    practice = Organisation.objects.filter(code=code, kind=OrganisationKind.PRACTICE).first()
    if practice is None:
        raise Http404("No such practice.")
    context = _base(request)
    measure = request.GET.get("measure") or "130"
    data = s.practice_trend(
        user=request.user,
        practice=practice,
        measure=measure,
        year=_year(request, context["commissioner"]),
        weighted=request.GET.get("basis", "weighted") != "crude",
    )
    table = (
        ["month", "rate", "special cause"],
        [[p["label"], p["value"], p["reason"]] for p in data.points],
    )
    exported = _export(request, f"trend-{code}-{measure}", table)
    context.update({"trend": data, "chart": _trend_json(data)})
    return exported or render(request, "referrals/trend.html", context)


# --- Peer reviews ------------------------------------------------------------------------------


@login_required
def reviews(request):
    context = _base(request)
    rows = list(s.peer_reviews_visible_to(user=request.user).order_by("-opened_on", "-pk"))
    exported = _export(request, "peer-reviews", exports.reviews_table(rows))
    context["reviews"] = rows
    return exported or render(request, "referrals/reviews.html", context)


@login_required
def review_new(request):
    """Open a peer review of an outlier (lead GP of the practice's locality)."""
    params = request.POST if request.method == "POST" else request.GET
    practice = Organisation.objects.filter(
        code=params.get("practice", ""), kind=OrganisationKind.PRACTICE
    ).first()
    if practice is None or not can(request.user, Action.PEER_REVIEW, practice):
        raise PermissionDenied("Only the lead GP of the practice's locality opens its review.")
    context = _base(request)
    commissioner = context["commissioner"]
    measure = params.get("measure") or "130"
    try:
        period = Period.parse(params.get("period") or "")
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    peers = Organisation.objects.filter(code=params.get("peers") or commissioner.code).first()
    weighted = params.get("basis", "weighted") != "crude"
    form = ReviewOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = peer_review_open(
                actor=request.user,
                practice=practice,
                measure=measure,
                period=period,
                peers=peers,
                weighted=weighted,
                **form.cleaned_data,
            )
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"Peer review of {practice.name} opened.")
            return redirect("referrals-review", pk=review.pk)
    data = s.comparison(
        user=request.user,
        commissioner=commissioner,
        measure=measure,
        period=period,
        peers=peers,
        weighted=weighted,
    )
    context.update(
        {
            "practice": practice,
            "row": next((r for r in data.rows if r.practice_id == practice.pk), None),
            "data": data,
            "form": form,
            "errors": _form_errors(form),
            "params": {
                "practice": practice.code,
                "measure": measure,
                "period": period.code,
                "peers": peers.code,
                "basis": "weighted" if weighted else "crude",
            },  # fmt: skip
        }
    )
    return render(request, "referrals/review_new.html", context)


@login_required
def review_detail(request, pk: int):
    review = s.peer_review_get_visible(user=request.user, pk=pk)
    context = _base(request)
    positions = s.review_positions(user=request.user, review=review)
    data = s.practice_trend(
        user=request.user,
        practice=review.practice,
        measure=review.measure,
        year=review.year,
        weighted=review.position.get("weighted", True),
    )
    context.update(
        {
            "review": review,
            "notes": list(review.notes.select_related("recorded_by")),
            "positions": positions,
            "trend": data,
            "chart": _trend_json(data),
            "may_review": can(request.user, Action.PEER_REVIEW, review.practice),
            "note_form": ReviewNoteForm(),
            "close_form": ReviewCloseForm(),
        }
    )
    return render(request, "referrals/review_detail.html", context)


@login_required
@require_POST
def review_note(request, pk: int):
    review = s.peer_review_get_visible(user=request.user, pk=pk)
    form = ReviewNoteForm(request.POST)
    if form.is_valid():
        try:
            peer_review_note_add(actor=request.user, review=review, **form.cleaned_data)
            messages.success(request, "Added to the review's history.")
        except (ApplicationError, PermissionDenied) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
    else:
        for _, message in _form_errors(form):
            messages.error(request, message)
    return redirect("referrals-review", pk=review.pk)


@login_required
@require_POST
def review_close(request, pk: int):
    review = s.peer_review_get_visible(user=request.user, pk=pk)
    form = ReviewCloseForm(request.POST)
    if form.is_valid():
        try:
            peer_review_close(actor=request.user, review=review, **form.cleaned_data)
            messages.success(request, "Review closed.")
        except (ApplicationError, PermissionDenied) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
    else:
        for _, message in _form_errors(form):
            messages.error(request, message)
    return redirect("referrals-review", pk=review.pk)


# --- Information timeliness and payment on information ---------------------------------------


@login_required
def timeliness(request):
    """How soon providers' clinic letters and discharge summaries reach GPs: a league table."""
    context = _base(request)
    commissioner = context["commissioner"]
    year = _year(request, commissioner)
    by_specialty = request.GET.get("by") == "specialty"
    rows = s.timeliness(
        user=request.user, commissioner=commissioner, year=year, by_specialty=by_specialty
    )
    exported = _export(request, f"timeliness-{year}", exports.timeliness_table(rows))
    standards = s.information_standards(commissioner=commissioner, on=Period(year).end)
    context.update(
        {
            "rows": rows,
            "year": year,
            "year_label": year_label(year),
            "by_specialty": by_specialty,
            "standards": standards,
            "chart": {
                "horizontal": True,
                "labels": [
                    f"{r.provider.code} {r.kind_label}" + (f" {r.specialty}" if r.specialty else "")
                    for r in rows
                ],  # fmt: skip
                "datasets": [
                    {
                        "label": "% within the standard",
                        "data": [round((r.share_within or 0) * 100, 1) for r in rows],
                    }
                ],
            },
        }
    )
    return exported or render(request, "referrals/timeliness.html", context)


@login_required
def held(request):
    """Payment on information: activity held per provider and month until the GP has the
    information, released when it arrives."""
    context = _base(request)
    commissioner = context["commissioner"]
    year = _year(request, commissioner)
    try:
        month = int(request.GET.get("month") or 12)
    except ValueError as exc:
        raise Http404("No such month.") from exc
    rows = s.held_payments(commissioner=commissioner, year=year, month=month, user=request.user)
    exported = _export(request, f"held-payments-{year}", exports.held_table(rows, year))
    by_provider: dict = {}
    for r in rows:
        t = by_provider.setdefault(r.provider, {"cost": 0, "held": 0, "released": 0})
        t["cost"] += r.cost
        t["held"] += r.held
        t["released"] += r.released
    months = sorted({r.month for r in rows})
    context.update(
        {
            "rows": rows,
            "by_provider": [
                {"provider": p, **t, "payable": t["cost"] - t["held"]}
                for p, t in sorted(by_provider.items(), key=lambda kv: kv[0].name)
            ],
            "total_held": sum(r.held for r in rows),
            "year": year,
            "year_label": year_label(year),
            "month": month,
            "providers": providers_for(commissioner=commissioner),
            "may_switch": holds_role_over(request.user, "pct_finance", commissioner),
            "chart": {
                "labels": [month_label(year, m) for m in months],
                "datasets": [
                    {
                        "label": f"{p.code}: held (£)",
                        "data": [
                            sum(r.held for r in rows if r.provider == p and r.month == m) / 100
                            for m in months
                        ],
                    }
                    for p in by_provider
                ],
            },
        }
    )
    return exported or render(request, "referrals/held.html", context)


@login_required
@require_POST
def payment_on_information(request, code: str):
    commissioner = s.commissioner_for(request.user)
    provider = providers_for(commissioner=commissioner).filter(code=code).first()
    if provider is None:
        raise Http404("No such provider.")
    provider_payment_on_information_set(
        actor=request.user, provider=provider, enabled=request.POST.get("enabled") == "on"
    )
    messages.success(request, f"Payment on information updated for {provider.name}.")
    return redirect("referrals-held")


# --- Local schemes ---------------------------------------------------------------------------


def _pence(form, field: str, required: bool = True) -> int | None:
    value = form.cleaned_data.get(field) or ""
    if not value.strip():
        if required:
            form.add_error(field, "Give an amount in pounds.")
        return None
    try:
        return to_pence(value)
    except ApplicationError as exc:
        form.add_error(field, exc.message)
        return None


@login_required
def schemes(request):
    """Local schemes: what they cost against the tariff they replace, and investment made."""
    context = _base(request)
    rows = s.scheme_savings(user=request.user)
    exported = _export(request, "local-schemes", exports.schemes_table(rows))
    context.update(
        {
            "rows": rows,
            "may_register": bool(grants_for(request.user, Action.CHANGE_MONEY)),
            "chart": {
                "horizontal": True,
                "labels": [r.scheme.name for r in rows],
                "datasets": [
                    {"label": "Cost (£)", "data": [r.cost / 100 for r in rows]},
                    {
                        "label": "Tariff it replaces (£)",
                        "data": [r.tariff_cost / 100 for r in rows],
                    },
                ],
            },
        }
    )
    return exported or render(request, "referrals/schemes.html", context)


@login_required
def scheme_new(request):
    context = _base(request)
    commissioner = context["commissioner"]
    form = SchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        node = Organisation.objects.filter(
            code=data["commissioning_node"].strip().upper(), path__startswith=commissioner.path
        ).first()
        provider = (
            providers_for(commissioner=commissioner)
            .filter(code=data["provider"].strip().upper())
            .first()
        )
        if node is None:
            form.add_error("commissioning_node", "Unknown locality or sub-locality.")
        if provider is None:
            form.add_error("provider", f"Unknown provider '{data['provider']}'.")
        tariff_price = _pence(form, "tariff_price")
        price = _pence(form, "price_per_case", required=False)
        investment = _pence(form, "investment", required=False) or 0
        if not form.errors:
            try:
                scheme = scheme_register(
                    actor=request.user,
                    commissioning_node=node,
                    name=data["name"],
                    kind=data["kind"],
                    provider=provider,
                    specialty=data["specialty"].strip(),
                    started_on=data["started_on"],
                    price_per_case=price,
                    tariff_price=tariff_price,
                    tariff_description=data["tariff_description"],
                    investment=investment,
                    description=data["description"],
                    justification=data["justification"],
                )
            except ApplicationError as exc:
                _apply_error(form, exc)
                context["conflicts"] = exc.extra.get("conflicts", [])
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("referrals-scheme", pk=scheme.pk)
    context.update({"form": form, "errors": _form_errors(form)})
    return render(request, "referrals/scheme_new.html", context)


@login_required
def scheme_detail(request, pk: int):
    scheme = s.scheme_get_visible(user=request.user, pk=pk)
    context = _base(request)
    row = s.scheme_savings(user=request.user, locality=scheme.commissioning_node)
    row = next(r for r in row if r.scheme.pk == scheme.pk)
    activity = s.scheme_activity(scheme=scheme)
    table = (
        ["month", "cases", "cost", "tariff cost", "saving"],
        [
            [
                month_label(a.year, a.month),
                a.cases,
                exports.to_pounds(a.cost),
                exports.to_pounds(a.cases * scheme.tariff_price),
                exports.to_pounds(a.cases * scheme.tariff_price - a.cost),
            ]
            for a in activity
        ],  # fmt: skip
    )
    exported = _export(request, f"scheme-{scheme.pk}", table)
    context.update(
        {
            "scheme": scheme,
            "row": row,
            "activity": [
                {
                    "a": a,
                    "tariff": a.cases * scheme.tariff_price,
                    "saving": a.cases * scheme.tariff_price - a.cost,
                }
                for a in activity
            ],  # fmt: skip
            "may_change": can(request.user, Action.CHANGE_MONEY, scheme.commissioning_node),
            "activity_form": SchemeActivityForm(),
            "justify_form": JustifyForm(),
        }
    )
    return exported or render(request, "referrals/scheme_detail.html", context)


@login_required
@require_POST
def scheme_activity(request, pk: int):
    scheme = s.scheme_get_visible(user=request.user, pk=pk)
    form = SchemeActivityForm(request.POST)
    if form.is_valid():
        cost = _pence(form, "cost", required=False)
        if not form.errors:
            try:
                scheme_activity_record(
                    actor=request.user,
                    scheme=scheme,
                    year=form.cleaned_data["year"],
                    month=form.cleaned_data["month"],
                    cases=form.cleaned_data["cases"],
                    cost=cost,
                )
                messages.success(request, "Activity recorded.")
            except (ApplicationError, PermissionDenied) as exc:
                messages.error(request, getattr(exc, "message", str(exc)))
    for _, message in _form_errors(form):
        messages.error(request, message)
    return redirect("referrals-scheme", pk=scheme.pk)


@login_required
@require_POST
def scheme_justify(request, pk: int):
    scheme = s.scheme_get_visible(user=request.user, pk=pk)
    form = JustifyForm(request.POST)
    if form.is_valid():
        try:
            conflict_justify(actor=request.user, scheme=scheme, **form.cleaned_data)
            messages.success(request, "Justification recorded on the public register.")
        except (ApplicationError, PermissionDenied) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
    for _, message in _form_errors(form):
        messages.error(request, message)
    return redirect("referrals-scheme", pk=scheme.pk)


# --- Interests -------------------------------------------------------------------------------


@login_required
def interests(request):
    """Declare an interest in a provider (yours or your practice's); your declarations."""
    context = _base(request)
    commissioner = context["commissioner"]
    form = InterestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        provider = (
            providers_for(commissioner=commissioner)
            .filter(code=data["provider"].strip().upper())
            .first()
        )
        practice = None
        if data["practice"].strip():
            practice = Organisation.objects.filter(
                code=data["practice"].strip().upper(), kind=OrganisationKind.PRACTICE
            ).first()
            if practice is None:
                form.add_error("practice", "Unknown practice.")
        if provider is None:
            form.add_error("provider", f"Unknown provider '{data['provider']}'.")
        if not form.errors:
            try:
                interest_declare(
                    actor=request.user,
                    provider=provider,
                    kind=data["kind"],
                    nature=data["nature"],
                    declared_on=data["declared_on"],
                    practice=practice,
                )
            except ApplicationError as exc:
                _apply_error(form, exc)
            except PermissionDenied as exc:
                form.add_error("practice" if practice else None, str(exc))
            else:
                messages.success(request, "Interest declared: it is on the public register.")
                return redirect("referrals-interests")
    context.update(
        {
            "form": form,
            "errors": _form_errors(form),
            "mine": s.interests_visible_to(user=request.user).filter(declared_by=request.user),
            "providers": providers_for(commissioner=commissioner),
        }
    )
    return render(request, "referrals/interests.html", context)


def register(request):
    """The public register of interests: no login needed."""
    data = s.public_register()
    exported = _export(request, "register-of-interests", exports.register_table(data))
    return exported or render(request, "referrals/register.html", data)


# --- Imports ---------------------------------------------------------------------------------


@login_required
def imports(request):
    context = _base(request)
    commissioner = context["commissioner"]
    may_upload = can(request.user, Action.CHANGE_MONEY, commissioner)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not may_upload:
            raise PermissionDenied("Only finance uploads referral files.")
        if form.is_valid():
            try:
                record = referral_import_create(
                    actor=request.user,
                    commissioner=commissioner,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                )
            except ApplicationError as exc:
                _apply_error(form, exc)
            else:
                return redirect("referrals-import", pk=record.pk)
    records = list(s.referral_imports_visible_to(user=request.user)[:100])
    exported = _export(request, "referral-imports", exports.imports_table(records))
    context.update(
        {
            "form": form,
            "errors": _form_errors(form),
            "may_upload": may_upload,
            "imports": records,
            "layouts": [layout_for(kind) for kind in LAYOUTS.values()],
        }
    )
    return exported or render(request, "referrals/imports.html", context)


@login_required
def import_detail(request, pk: int):
    upload = s.referral_import_get_visible(user=request.user, pk=pk)
    context = upload_status_context(upload, status_url=reverse("referrals-import", args=[pk]))
    if request.headers.get("HX-Request"):
        return render(request, "imports/_status.html", context)
    return render(request, "referrals/import_detail.html", context)
