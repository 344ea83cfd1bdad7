"""The upload as the API shows it, for every kind of import."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consortia.money import format_money

from .models import Upload
from .selectors import upload_progress


class UploadError(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class UploadOut(serializers.ModelSerializer):
    commissioner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    errors = UploadError(many=True, read_only=True)
    rows_done = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()

    class Meta:
        model = Upload
        fields = [
            "id", "commissioner", "kind", "year", "month", "source", "original_name",
            "size_bytes", "content_hash", "status", "rows_total", "rows_done", "rows_loaded",
            "rows_held", "rows_updated", "total_pence", "total", "error_count", "errors",
            "message", "revision_of", "file_kept", "uploaded_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_rows_done(self, upload) -> int:
        return upload_progress(upload)[0]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_total(self, upload) -> str | None:
        """The control total in pounds, as text ("£1,234.56")."""
        if upload.total_pence is None:
            return None
        return format_money(upload.total_pence)
