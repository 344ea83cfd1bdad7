"""Referral imports, referrals and information events a person may see."""

from __future__ import annotations

from consortia.imports.models import Upload
from consortia.imports.selectors import upload_get_visible, uploads_visible_to
from consortia.models import Organisation, User
from consortia.permissions import Action, filter_by_scope

from ..layouts import INFORMATION, REFERRALS
from ..models import InformationEvent, Referral

KINDS = [REFERRALS, INFORMATION]


def referral_imports_visible_to(*, user: User):
    return uploads_visible_to(user, kinds=KINDS)


def referral_import_get_visible(*, user: User, pk) -> Upload:
    return upload_get_visible(user, pk, kinds=KINDS)


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
    return Upload.objects.filter(
        commissioner=commissioner, kind__in=KINDS, original_name__startswith="SYNTHETIC"
    ).exists()
