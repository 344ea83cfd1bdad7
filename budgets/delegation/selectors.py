"""Reads with a rule on delegation: virements a person may see or decide, and the authority
the scheme of delegation in force gives them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from budgets.ledger.models import Account, AccountPurpose, LineCategory
from consortia.models import Organisation, Role, User
from consortia.permissions import (
    Action,
    active_assignments,
    filter_by_scope,
    roles_of,
    scope_q,
)

from .models import SchemeOfDelegation, Virement, VirementStatus


def virements_visible_to(*, user: User) -> QuerySet[Virement]:
    """Virements whose source or target the user may see money for."""
    source = scope_q(user, Action.VIEW_MONEY, "source__organisation__")
    target = scope_q(user, Action.VIEW_MONEY, "target__organisation__")
    if source is None:
        return Virement.objects.none()
    return Virement.objects.filter(source | target).select_related(
        "source__organisation",
        "source__line",
        "target__organisation",
        "target__line",
        "requested_by",
        "decided_by",
    )


def locality_of(organisation: Organisation) -> str | None:
    """The locality code a node lies in (None for the commissioner itself)."""
    parts = organisation.path.strip("/").split("/")
    return parts[1] if len(parts) > 1 else None


def scheme_in_force(commissioner: Organisation) -> SchemeOfDelegation | None:
    return SchemeOfDelegation.objects.filter(
        commissioner=commissioner, effective_from__lte=timezone.localdate()
    ).first()


def needs_senate(virement: Virement) -> bool:
    """Between localities (or to/from county level) only the senate may approve."""
    src, dst = locality_of(virement.source.organisation), locality_of(virement.target.organisation)
    return src is None or dst is None or src != dst


def approval_limit(*, user: User, virement: Virement) -> int | None:
    """The largest virement `user` may approve for this source and target under the scheme in
    force, or None if they may approve none (between localities: the senate only)."""
    if needs_senate(virement):
        return None
    scheme = scheme_in_force(virement.source.line.commissioner)
    if scheme is None:
        return None
    best = None
    for assignment in active_assignments(user):
        limit = scheme.limits.get(assignment.role)
        node = assignment.organisation
        if limit is None:
            continue
        if virement.source.organisation.is_within(node) and virement.target.organisation.is_within(
            node
        ):
            best = max(best or 0, int(limit))
    return best


def virement_get_visible(*, user: User, pk: int) -> Virement:
    """A virement `user` may see; 404 alike for missing and not yours."""
    virement = virements_visible_to(user=user).filter(pk=pk).first()
    if virement is None:
        raise Http404("No such virement.")
    return virement


def accounts_for_virement(*, user: User) -> QuerySet[Account]:
    """Spendable budget accounts `user` may move money from or to (CHANGE_MONEY)."""
    return (
        filter_by_scope(Account.objects.all(), user, Action.CHANGE_MONEY, "organisation__")
        .filter(
            purpose=AccountPurpose.BUDGET,
            line__category__in=[LineCategory.DELEGATED, LineCategory.COLLECTIVE],
        )
        .select_related("organisation", "line")
        .order_by("-year", "organisation__path", "line__order")
    )


def virement_decision_rights(*, user: User, virement: Virement) -> dict:
    """What `user` may do with a virement, by the rules the services enforce: approve when their
    limit under the scheme of delegation covers it; reject likewise, or as PCT finance; override
    commitments only as PCT finance. Between localities only the senate decides."""
    requested = virement.status == VirementStatus.REQUESTED
    limit = approval_limit(user=user, virement=virement) if requested else None
    is_finance = Role.PCT_FINANCE in roles_of(user)
    may_approve = requested and limit is not None and virement.amount <= limit
    return {
        "limit": limit,
        "needs_senate": requested and needs_senate(virement),
        "may_approve": may_approve,
        "may_reject": requested and (may_approve or is_finance),
        "may_override": may_approve and is_finance,
    }
