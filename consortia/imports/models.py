"""The upload record: one per file received, whatever its kind."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from consortia.models import Organisation


class UploadStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Checking and loading"
    FAILED = "failed", "Failed: nothing imported"
    COMPLETE = "complete", "Imported"
    SUPERSEDED = "superseded", "Replaced by a revision"


class FileKept(models.TextChoices):
    """What is kept of the uploaded file once it has been processed (the retention rule)."""

    PENDING = "pending", "Held until it is checked"
    KEPT = "kept", "Kept"
    DELETED = "deleted", "Deleted"
    NOT_KEPT = "not_kept", "Not kept: it held patient identifiers"


class Upload(models.Model):
    """One file received for import. With any error nothing is loaded, and the report names the
    row and column of each problem."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)  # a registered layout, e.g. "activity.hospital"
    year = models.PositiveSmallIntegerField(null=True, blank=True)  # financial year, if any
    month = models.PositiveSmallIntegerField(null=True, blank=True)  # M1 April .. M12 March
    source = models.CharField(max_length=20, blank=True)  # the sender's code, e.g. provider RNL
    as_of = models.DateField(null=True, blank=True)  # the date a reference file states
    file = models.FileField(upload_to="uploads/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255)
    size_bytes = models.PositiveBigIntegerField(default=0)
    content_hash = models.CharField(max_length=64)
    revision_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="revisions"
    )
    status = models.CharField(
        max_length=20, choices=UploadStatus.choices, default=UploadStatus.QUEUED
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when a worker began
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_loaded = models.PositiveIntegerField(default=0)
    rows_held = models.PositiveIntegerField(default=0)  # for closed months, until reopened
    rows_updated = models.PositiveIntegerField(default=0)  # rows that changed an earlier one
    total_pence = models.BigIntegerField(null=True, blank=True)  # control total of the file
    # The sender's control totals, entered at upload: a file that does not match is refused.
    declared_rows = models.PositiveIntegerField(null=True, blank=True)
    declared_total_pence = models.BigIntegerField(null=True, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)  # [{"row", "column", "message"}], the first 1000
    message = models.CharField(max_length=500, blank=True)
    file_kept = models.CharField(max_length=20, choices=FileKept.choices, default=FileKept.PENDING)
    file_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            # The same file twice is refused, unless the first attempt failed, or was replaced
            # by a revision (sending it again, as a revision, restores it).
            models.UniqueConstraint(
                fields=["commissioner", "kind", "content_hash"],
                condition=~Q(status__in=["failed", "superseded"]),
                name="upload_same_file_once",
            ),
        ]
        indexes = [models.Index(fields=["commissioner", "kind", "year", "month", "source"])]

    def __str__(self) -> str:
        return f"{self.layout.label} #{self.pk} ({self.original_name})"

    @property
    def layout(self):
        from .layouts import layout_for

        return layout_for(self.kind)

    @property
    def total_display(self) -> str:
        """The control total as "£1,234.56" (blank for kinds without money)."""
        from consortia.money import format_money

        return "" if self.total_pence is None else format_money(self.total_pence)

    @property
    def declared_total_display(self) -> str:
        from consortia.money import format_money

        return "" if self.declared_total_pence is None else format_money(self.declared_total_pence)

    @property
    def is_finished(self) -> bool:
        return self.status not in (UploadStatus.QUEUED, UploadStatus.RUNNING)
