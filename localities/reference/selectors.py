"""Reads of reference data: whose files a person may import and see."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from consortia.models import Organisation, OrganisationKind
from consortia.permissions import Action, organisations_for


def reference_commissioner_for(user) -> Organisation:
    """The commissioner whose reference data the user keeps (PCT finance: MANAGE_TREE across the
    commissioner); refused for everyone else."""
    node = (
        organisations_for(user, Action.MANAGE_TREE)
        .filter(kind=OrganisationKind.COMMISSIONER)
        .first()
    )
    if node is None:
        raise PermissionDenied("Only the keepers of reference data (PCT finance) import it.")
    return node
