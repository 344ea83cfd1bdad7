"""What the referral selectors share: measures, the commissioner a person works for, who may see
practice names."""

from __future__ import annotations

from django.http import Http404

from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import Action, can, grants_for

from ..models import (
    InformationKind,
    specialty_name,
)

PRESCRIBING = "PRESC"


ALL_REFERRALS = "ALL"


PER = 1000


DEFAULT_STANDARD_HOURS = {
    InformationKind.CLINIC_LETTER: 7 * 24,  # NHS Standard Contract: clinic letters in 7 days
    InformationKind.DISCHARGE_SUMMARY: 24,  # and discharge summaries in 24 hours
}


def measure_name(measure: str) -> str:
    if measure == PRESCRIBING:
        return "Prescribing (items)"
    if measure == ALL_REFERRALS:
        return "All referrals"
    return specialty_name(measure)


def commissioner_of(node: Organisation) -> Organisation:
    if node.kind == OrganisationKind.COMMISSIONER:
        return node
    return Organisation.objects.get(path="/" + node.commissioner_code + "/")


def commissioner_for(user: User) -> Organisation:
    """The commissioner whose tree the user's roles are in (404 for someone with none)."""
    grants = grants_for(user, Action.VIEW_ORGANISATION)
    if not grants:
        raise Http404("You have no role in any organisation yet.")
    code = grants[0].path.strip("/").split("/")[0]
    return Organisation.objects.get(code=code)


def may_see_names(user: User, practice: Organisation) -> bool:
    """Practice names are shown to those who may view the practice (leads, sub-locality leads,
    finance, executives: county-wide); a practice member sees only its own practice's name."""
    return can(user, Action.VIEW_ORGANISATION, practice)


def _anonymous_label(index: int) -> str:
    """0 -> "Practice A", 25 -> "Practice Z", 26 -> "Practice AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return f"Practice {letters}"
