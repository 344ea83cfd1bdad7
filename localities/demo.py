"""The Cumbria outcomes demo: the comparisons NHS Cumbria's leaders watched (DOMAIN.md, from
Practice Makes Perfect), as counts per locality. The county's and the comparator's percentage
changes are the published ones; every count, and each locality's share, is invented for the demo
(`data/DEMO_outcomes.csv`)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from consortia.imports.models import Upload, UploadStatus
from consortia.models import Organisation

from .outcomes.layouts import KIND
from .outcomes.services import outcome_comparator_create, outcome_import_create
from .services import DATA_DIR

LOADER = "demo loader: outcomes"
DEMO_FILE = "DEMO_outcomes.csv"
# The pamphlet compares Cumbria with "the rest of England" (with "England" for outpatients).
COMPARATOR = ("ENG", "Rest of England")


def cumbria_outcomes_load() -> Upload:
    """Name the comparator and import the demo counts. Idempotent."""
    cumbria = Organisation.objects.get(code="5NE")
    outcome_comparator_create(
        actor=None, actor_label=LOADER, commissioner=cumbria, code=COMPARATOR[0], name=COMPARATOR[1]
    )
    content = (DATA_DIR / DEMO_FILE).read_bytes()
    done = Upload.objects.filter(
        commissioner=cumbria, kind=KIND, original_name=DEMO_FILE, status=UploadStatus.COMPLETE
    ).first()
    if done is not None:
        return done
    return outcome_import_create(
        actor=None,
        actor_label=LOADER,
        commissioner=cumbria,
        upload=SimpleUploadedFile(DEMO_FILE, content, content_type="text/csv"),
    )
