"""Pages of the organisation root: the audit log and notices (the home page is consortia.home;
the tree's pages, with populations, are localities.views)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .permissions import Action, grants_for
from .selectors import (
    audit_events_visible_to,
)


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
