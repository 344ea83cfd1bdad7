"""Reads with a rule: what a person may see of the tree and the audit log."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import AuditEvent, Organisation, User
from .permissions import (
    Action,
    Scope,
    active_assignments,
    can,
    filter_by_scope,
    grants_for,
    organisations_for,
)


def organisation_get_visible(*, user: User, code: str) -> Organisation:
    """The node with this code if `user` may see it; 404 alike for missing and not yours."""
    node = Organisation.objects.filter(code=code).first()
    if node is None or not can(user, Action.VIEW_ORGANISATION, node):
        raise Http404("No such organisation.")
    return node


def organisations_visible_to(*, user: User) -> QuerySet[Organisation]:
    return organisations_for(user, Action.VIEW_ORGANISATION)


def audit_events_visible_to(*, user: User) -> QuerySet[AuditEvent]:
    """Audit events about nodes within the user's VIEW_AUDIT scope (finance and executives).

    Events with no organisation (e.g. system-wide settings) are shown to county-wide auditors.
    """
    scoped = filter_by_scope(AuditEvent.objects.all(), user, Action.VIEW_AUDIT, "organisation__")
    if any(g.scope is Scope.COMMISSIONER for g in grants_for(user, Action.VIEW_AUDIT)):
        scoped = scoped | AuditEvent.objects.filter(organisation__isnull=True)
    return scoped.select_related("actor", "organisation")


def home_organisations(*, user: User) -> list[Organisation]:
    """The nodes a person's roles are held at: where their home page starts."""
    seen, out = set(), []
    for assignment in active_assignments(user):
        if assignment.organisation_id not in seen:
            seen.add(assignment.organisation_id)
            out.append(assignment.organisation)
    return out
