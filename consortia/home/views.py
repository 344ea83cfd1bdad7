"""The home page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import home_sections


@login_required
def home(request):
    """What needs the person, one section per kind of role (consortia.home.selectors)."""
    return render(request, "consortia/home.html", {"sections": home_sections(user=request.user)})
