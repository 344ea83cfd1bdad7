"""The one place that decides "may this person do X on organisation node Y".

Every view, API endpoint, export and task asks here. A role is held at a node; each action is
granted to a role with a *scope* relative to that node:

- COMMISSIONER: anywhere in the commissioner's tree the node belongs to (county-wide);
- SUBTREE: the node the role is held at and everything beneath it;
- NODE: that node only.

So a locality lead GP sees the county's figures (VIEW_* at COMMISSIONER) but changes money only
in their own locality (CHANGE_MONEY at SUBTREE); a practice member sees its own practice (NODE).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Organisation, Role, RoleAssignment


class Action(StrEnum):
    VIEW_ORGANISATION = "view_organisation"  # see a node, its populations and people
    VIEW_MONEY = "view_money"  # see budgets, ledgers, reconciliation
    CHANGE_MONEY = "change_money"  # request virements, delegate budget, upload activity
    APPROVE_ALLOCATION = "approve_allocation"  # approve a resource allocation model run
    MANAGE_TREE = "manage_tree"  # edit reference data: nodes, populations
    MANAGE_ROLES = "manage_roles"  # grant and revoke roles
    VIEW_AUDIT = "view_audit"  # read the audit log
    RUN_SENATE = "run_senate"  # schedule and run senate meetings
    ADOPT_STANDARD = "adopt_standard"  # record a locality's adoption of county-wide standards
    PEER_REVIEW = "peer_review"  # open and record peer reviews of practices' referrals


class Scope(StrEnum):
    COMMISSIONER = "commissioner"
    SUBTREE = "subtree"
    NODE = "node"


C, S, N = Scope.COMMISSIONER, Scope.SUBTREE, Scope.NODE
A = Action

# role -> action -> scope. An action a role does not list is refused.
GRANTS: dict[str, dict[Action, Scope]] = {
    Role.CHIEF_EXECUTIVE: {
        A.VIEW_ORGANISATION: C, A.VIEW_MONEY: C, A.APPROVE_ALLOCATION: C,
        A.MANAGE_ROLES: C, A.VIEW_AUDIT: C,
    },
    Role.CHIEF_OPERATING_OFFICER: {
        A.VIEW_ORGANISATION: C, A.VIEW_MONEY: C, A.CHANGE_MONEY: C,
        A.MANAGE_ROLES: C, A.VIEW_AUDIT: C,
    },
    Role.PCT_FINANCE: {
        A.VIEW_ORGANISATION: C, A.VIEW_MONEY: C, A.CHANGE_MONEY: C,
        A.MANAGE_TREE: C, A.VIEW_AUDIT: C,
    },
    Role.EXECUTIVE_DIRECTOR: {A.VIEW_ORGANISATION: C, A.VIEW_MONEY: C, A.VIEW_AUDIT: C},
    Role.LOCALITY_LEAD: {A.VIEW_ORGANISATION: C, A.VIEW_MONEY: C, A.CHANGE_MONEY: S,
                         A.ADOPT_STANDARD: S, A.PEER_REVIEW: S},
    Role.SUB_LOCALITY_LEAD: {A.VIEW_ORGANISATION: C, A.VIEW_MONEY: C, A.CHANGE_MONEY: S},
    Role.PRACTICE_MEMBER: {A.VIEW_ORGANISATION: N, A.VIEW_MONEY: N},
    Role.SENATE_SECRETARY: {A.VIEW_ORGANISATION: C, A.VIEW_MONEY: C, A.RUN_SENATE: C,
                            A.ADOPT_STANDARD: C},
}  # fmt: skip


@dataclass(frozen=True)
class Grant:
    role: str
    path: str  # path of the node the role is held at
    scope: Scope

    @property
    def reach(self) -> str:
        """The path prefix this grant covers (a NODE grant covers one exact path)."""
        if self.scope is Scope.COMMISSIONER:
            return "/" + self.path.strip("/").split("/")[0] + "/"
        return self.path

    def covers(self, node: Organisation) -> bool:
        if self.scope is Scope.NODE:
            return node.path == self.path
        return node.path.startswith(self.reach)

    def as_q(self, prefix: str = "") -> Q:
        if self.scope is Scope.NODE:
            return Q(**{f"{prefix}path": self.path})
        return Q(**{f"{prefix}path__startswith": self.reach})


def active_assignments(user, on: dt.date | None = None) -> list[RoleAssignment]:
    """The user's role assignments in force today, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    on = on or timezone.localdate()
    cache = getattr(user, "_consortia_assignments", None)
    if cache is None or cache[0] != on:
        rows = list(
            RoleAssignment.objects.filter(user=user, starts_on__lte=on)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=on))
            .select_related("organisation")
        )
        cache = (on, rows)
        user._consortia_assignments = cache
    return cache[1]


def grants_for(user, action: Action) -> list[Grant]:
    grants = []
    for assignment in active_assignments(user):
        scope = GRANTS.get(assignment.role, {}).get(action)
        if scope is not None:
            grants.append(Grant(assignment.role, assignment.organisation.path, scope))
    return grants


def roles_of(user) -> set[str]:
    return {a.role for a in active_assignments(user)}


def holds_role_over(user, role: str, node: Organisation) -> bool:
    """Does `user` hold `role` at `node` or at one of its ancestors (e.g. PCT finance at the
    commissioner over a locality's account)?"""
    return any(
        a.role == role and node.path.startswith(a.organisation.path)
        for a in active_assignments(user)
    )


def can(user, action: Action, node: Organisation) -> bool:
    """May `user` do `action` on `node`?"""
    return any(grant.covers(node) for grant in grants_for(user, action))


def require(user, action: Action, node: Organisation) -> None:
    """Raise PermissionDenied unless `user` may do `action` on `node`."""
    if not can(user, action, node):
        raise PermissionDenied(f"You may not {action.value.replace('_', ' ')} for {node.name}.")


def scope_q(user, action: Action, prefix: str = "") -> Q | None:
    """A filter for the nodes `user` may do `action` on, or None if none at all.

    `prefix` names the path to the node from the model filtered, e.g. "practice__".
    """
    grants = grants_for(user, action)
    if not grants:
        return None
    q = Q()
    for grant in grants:
        q |= grant.as_q(prefix)
    return q


def filter_by_scope(queryset: QuerySet, user, action: Action, prefix: str = "") -> QuerySet:
    """Narrow any queryset to the rows whose organisation `user` may do `action` on."""
    q = scope_q(user, action, prefix)
    return queryset.none() if q is None else queryset.filter(q)


def organisations_for(user, action: Action) -> QuerySet[Organisation]:
    return filter_by_scope(Organisation.objects.all(), user, action)
