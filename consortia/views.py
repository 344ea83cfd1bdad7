"""Pages of the organisation root: home, the tree, the audit log."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from localities.selectors import organisation_view, practice_population

from .home_selectors import home_sections
from .models import OrganisationKind
from .permissions import Action, grants_for
from .selectors import (
    audit_events_visible_to,
    organisation_get_visible,
    organisations_visible_to,
)


@login_required
def home(request):
    """What needs the person, one section per kind of role (consortia.home_selectors)."""
    return render(request, "consortia/home.html", {"sections": home_sections(user=request.user)})


@login_required
def organisation_root(request):
    """Start the tree at the highest node the person may see."""
    top = organisations_visible_to(user=request.user).order_by("path").first()
    if top is None:
        raise PermissionDenied("You have no role in any organisation yet. Ask your administrator.")
    return redirect("organisation-detail", code=top.code)


@login_required
def organisation_detail(request, code: str):
    node = organisation_get_visible(user=request.user, code=code)
    context = {
        "view": organisation_view(user=request.user, node=node),
        "is_practice": node.kind == OrganisationKind.PRACTICE,
    }
    if context["is_practice"]:
        context["population"] = practice_population(practice=node)
    return render(request, "consortia/organisation_detail.html", context)


@login_required
def audit_log(request):
    if not grants_for(request.user, Action.VIEW_AUDIT):
        raise PermissionDenied("Only finance and executives may read the audit log.")
    events = audit_events_visible_to(user=request.user)
    if request.GET.get("event"):
        events = events.filter(event__startswith=request.GET["event"])
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "consortia/audit_log.html", {"page": page})


@login_required
def notices(request):
    """The signed-in person's notices, newest first; opening the page marks them read."""
    items = list(request.user.notices.all()[:100])
    unread_ids = [n.pk for n in items if n.read_at is None]
    if unread_ids:
        request.user.notices.filter(pk__in=unread_ids).update(read_at=timezone.now())
    return render(request, "consortia/notices.html", {"items": items, "unread_ids": unread_ids})


def health(request):
    return HttpResponse("ok", content_type="text/plain")
