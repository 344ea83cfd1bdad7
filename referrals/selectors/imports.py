"""Referral imports, referrals and information events a person may see."""

from __future__ import annotations

from django.http import Http404

from consortia.models import Organisation, User
from consortia.permissions import Action, filter_by_scope

from ..models import (
    InformationEvent,
    Referral,
    ReferralImport,
)


def referral_imports_visible_to(*, user: User):
    return filter_by_scope(
        ReferralImport.objects.all(), user, Action.VIEW_MONEY, "commissioner__"
    ).select_related("uploaded_by")


def referral_import_get_visible(*, user: User, pk: int) -> ReferralImport:
    record = referral_imports_visible_to(user=user).filter(pk=pk).first()
    if record is None:
        raise Http404("No such import.")
    return record


def referrals_visible_to(*, user: User):
    """Referral records of the practices the user may view."""
    return filter_by_scope(
        Referral.objects.all(), user, Action.VIEW_ORGANISATION, "practice__"
    ).select_related("practice", "provider")


def information_events_visible_to(*, user: User):
    return filter_by_scope(
        InformationEvent.objects.all(), user, Action.VIEW_ORGANISATION, "practice__"
    ).select_related("practice", "provider")


def is_demo(*, commissioner: Organisation) -> bool:
    """The demo's data is synthetic: pages say so."""
    return ReferralImport.objects.filter(
        commissioner=commissioner, original_name__startswith="SYNTHETIC"
    ).exists()
