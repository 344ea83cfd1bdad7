"""The tree's pages: each node with its children by level, and a practice with its population
and need (list sizes and deprivation, this app's reference data)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from consortia.models import OrganisationKind
from consortia.selectors import organisation_get_visible, organisations_visible_to

from .selectors import organisation_view, practice_population


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
