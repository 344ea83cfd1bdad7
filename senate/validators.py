"""Meeting papers: which files the senate accepts, checked by name AND by content.

A paper is published to the public register, so a file is accepted only if its extension is one
of PDF, DOCX, XLSX or ODT and its first bytes (and, for the zipped Office formats, its parts)
say it really is that type; at most 10 MB. The file is never read whole into memory.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError

MAX_PAPER_BYTES = 10 * 1024 * 1024
PAPER_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
}
# The part a genuine file of each zipped type must contain.
ZIP_MARKERS = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml", ".odt": "content.xml"}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def paper_content_type(name: str) -> str:
    return PAPER_TYPES[PurePosixPath(name).suffix.lower()]


def _head(file, n: int) -> bytes:
    file.seek(0)
    head = file.read(n)
    file.seek(0)
    return head


def validate_paper(file) -> None:
    """Refuse anything but a genuine PDF, DOCX, XLSX or ODT of at most 10 MB."""
    name = getattr(file, "name", "") or ""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in PAPER_TYPES:
        raise ValidationError(
            "Upload a PDF, Word (DOCX), Excel (XLSX) or OpenDocument text (ODT) file.",
            code="paper_type",
        )
    size = getattr(file, "size", None)
    if size is None or size > MAX_PAPER_BYTES:
        raise ValidationError("A paper can be at most 10 MB. Compress it or split it.", code="size")
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    mismatch = ValidationError(
        f"The file is named {suffix[1:].upper()} but its content is not: save it again as "
        f"{suffix[1:].upper()} and upload that.",
        code="paper_content",
    )
    if suffix == ".pdf":
        if not _head(file, 5) == b"%PDF-":
            raise mismatch
        return
    if _head(file, 4) != b"PK\x03\x04":
        raise mismatch
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if ZIP_MARKERS[suffix] not in names:
                raise mismatch
            if suffix == ".odt" and archive.read("mimetype").strip() != ODT_MIMETYPE:
                raise mismatch
    except (zipfile.BadZipFile, KeyError) as exc:
        raise mismatch from exc
    finally:
        file.seek(0)
