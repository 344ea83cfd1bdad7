"""Reference data pages: finance imports the published files (list sizes, weighted
populations) and sees each file's outcome. Thin: the pipeline does the work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse

from consortia.errors import ApplicationError
from consortia.imports.layouts import layout_for
from consortia.imports.selectors import (
    upload_file_downloadable,
    upload_get_visible,
    upload_status_context,
    uploads_visible_to,
)
from consortia.imports.services import upload_receive
from consortia.permissions import Action, can

from .forms import ReferenceFileForm
from .layouts import KINDS
from .selectors import reference_commissioner_for


@login_required
def reference_files(request):
    """Import a published reference file, and the files so far."""
    commissioner = reference_commissioner_for(request.user)
    form = ReferenceFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            upload = upload_receive(
                actor=request.user,
                commissioner=commissioner,
                kind=data["kind"],
                file=data["file"],
                as_of=data["as_of"],
                year=data["year"],
            )
        except ApplicationError as exc:
            field = exc.extra.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            return redirect("reference-file", pk=upload.pk)
    return render(
        request,
        "localities/reference_files.html",
        {
            "form": form,
            "uploads": uploads_visible_to(request.user, kinds=KINDS).filter(
                commissioner=commissioner
            )[:100],
            "layouts": [layout_for(kind) for kind in KINDS],
        },
        status=400 if form.errors else 200,
    )


@login_required
def reference_file(request, pk):
    upload = upload_get_visible(request.user, pk, kinds=KINDS)
    if not can(request.user, Action.MANAGE_TREE, upload.commissioner):
        raise PermissionDenied("Only the keepers of reference data (PCT finance) see its files.")
    context = upload_status_context(upload, status_url=reverse("reference-file", args=[upload.pk]))
    context["may_download"] = upload_file_downloadable(request.user, upload)
    return render(request, "localities/reference_file.html", context)
