"""Pages shared by every kind of import: the error list as CSV and the layout templates."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse

from consortia.exports import XLSX_CONTENT_TYPE, csv_response

from .layouts import layout_for, template_csv, template_xlsx
from .selectors import upload_file_downloadable, upload_get_visible


@login_required
def upload_errors_csv(request, pk):
    upload = upload_get_visible(request.user, pk)
    return csv_response(
        f"import-{upload.pk}-errors.csv",
        ["row", "column", "problem"],
        [[e["row"], e["column"], e["message"]] for e in upload.errors],
    )


@login_required
def upload_file(request, pk):
    """The uploaded file itself, while it is kept, for those who may upload its kind."""
    upload = upload_get_visible(request.user, pk)
    if not upload_file_downloadable(request.user, upload):
        raise Http404("The file is not kept, or you may not download it.")
    try:
        handle = upload.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer held.") from None
    return FileResponse(handle, as_attachment=True, filename=upload.original_name)


def layout_template(request, kind: str, fmt: str):
    """A blank template of a layout: its header (and, in XLSX, a sheet explaining each column
    with an example). Public: no data in it."""
    try:
        layout = layout_for(kind)
    except LookupError:
        raise Http404("No such template.") from None
    name = kind.replace(".", "-") + "-template"
    if fmt == "csv":
        response = HttpResponse(template_csv(layout), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(template_xlsx(layout), content_type=XLSX_CONTENT_TYPE)
    else:
        raise Http404("No such template.")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
