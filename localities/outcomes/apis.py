"""Outcomes API: counts by area, measure and period, the two-period comparison, and imports of
files of counts. Scoped like the pages; errors in the one {"message", "extra"} shape. Thin."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from consortia.errors import ApplicationError
from consortia.imports.models import Upload
from consortia.imports.serializers import UploadOut
from consortia.imports.services import upload_require_complete

from .models import OutcomeCount, OutcomeMeasure
from .selectors import (
    outcome_commissioners_for,
    outcome_comparison,
    outcome_counts_visible_to,
    outcome_imports_visible_to,
)
from .services import outcome_import_create, parse_period


def _commissioner(user, code: str | None = None):
    commissioners = outcome_commissioners_for(user=user)
    chosen = next((c for c in commissioners if c.code == code), None) if code else None
    if chosen is None and not code and commissioners:
        chosen = commissioners[0]
    if chosen is None:
        raise PermissionDenied("You have no role in that commissioner.")
    return chosen


class OutcomeCountOut(serializers.ModelSerializer):
    commissioner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.SerializerMethodField()
    area_kind = serializers.SerializerMethodField()
    period = serializers.CharField(read_only=True)
    upload = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = OutcomeCount
        fields = ["commissioner", "area", "area_name", "area_kind", "measure", "period", "year",
                  "month", "count", "upload"]  # fmt: skip

    def get_area_name(self, count) -> str:
        return (count.organisation or count.comparator).name

    def get_area_kind(self, count) -> str:
        return count.organisation.kind if count.organisation_id else "comparator"


class OutcomeCountFilter(django_filters.FilterSet):
    area = django_filters.CharFilter(method="filter_area")
    period = django_filters.CharFilter(method="filter_period", label="e.g. 2009-10 or 2010-11 M1")
    commissioner = django_filters.CharFilter(field_name="commissioner__code")

    class Meta:
        model = OutcomeCount
        fields = ["commissioner", "area", "measure", "period", "year", "month"]

    def filter_area(self, queryset, name, value):
        return queryset.filter(area=value.strip().upper())

    def filter_period(self, queryset, name, value):
        try:
            year, month = parse_period(value)
        except ValueError as exc:
            raise ApplicationError(str(exc), {"field": "period"}) from exc
        return queryset.filter(year=year, month=month)


class OutcomeCountViewSet(viewsets.ReadOnlyModelViewSet):
    """Counts per area, measure and period, for the commissioners the caller has a role in."""

    serializer_class = OutcomeCountOut
    filterset_class = OutcomeCountFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OutcomeCount.objects.none()
        return outcome_counts_visible_to(user=self.request.user).order_by(
            "measure", "area", "year", "month"
        )


class AreaChangeOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    before = serializers.IntegerField(allow_null=True)
    after = serializers.IntegerField(allow_null=True)
    change_percent = serializers.DecimalField(
        max_digits=9, decimal_places=1, allow_null=True, source="change"
    )
    comparator_change_percent = serializers.ListField(
        child=serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True),
        source="comparator_changes",
    )
    difference_points = serializers.DecimalField(
        max_digits=9, decimal_places=1, allow_null=True, source="difference"
    )


class MeasureComparisonOut(serializers.Serializer):
    measure = serializers.ChoiceField(choices=OutcomeMeasure.choices)
    measure_name = serializers.CharField(source="label")
    before = serializers.CharField(source="before_label")
    after = serializers.CharField(source="after_label")
    areas = AreaChangeOut(many=True, source="rows")
    comparators = AreaChangeOut(many=True)


class OutcomeComparisonApi(APIView):
    """For each measure, every area's counts in two periods and the percentage change, with
    the comparator's change beside each. Without `before` and `after`, each measure is compared
    over its own latest period and the earliest one like it."""

    @extend_schema(
        parameters=[
            OpenApiParameter("measure", str, enum=OutcomeMeasure.values, required=False),
            OpenApiParameter("before", str, description="e.g. 2008-09 M1", required=False),
            OpenApiParameter("after", str, description="e.g. 2010-11 M1", required=False),
            OpenApiParameter("commissioner", str, required=False),
        ],
        responses=MeasureComparisonOut(many=True),
    )
    def get(self, request):
        measure = request.query_params.get("measure") or None
        if measure and measure not in OutcomeMeasure.values:
            raise ApplicationError("Unknown measure.", {"field": "measure"})
        periods = {}
        for name in ("before", "after"):
            if request.query_params.get(name):
                try:
                    periods[name] = parse_period(request.query_params[name])
                except ValueError as exc:
                    raise ApplicationError(str(exc), {"field": name}) from exc
        if len(periods) == 1:
            raise ApplicationError("Give both periods, or neither.", {"field": "before"})
        data = outcome_comparison(
            user=request.user,
            commissioner=_commissioner(request.user, request.query_params.get("commissioner")),
            measures=[measure] if measure else None,
            before=periods.get("before"),
            after=periods.get("after"),
        )
        return Response(MeasureComparisonOut(data["comparisons"], many=True).data)


class OutcomeImportIn(serializers.Serializer):
    file = serializers.FileField()
    commissioner = serializers.CharField(required=False)


class OutcomeImportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Import a file of counts (area, measure, period, count): all rows (201) or, with any
    error, none (400, with the import's id and each problem by row and column in `extra`)."""

    serializer_class = UploadOut
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Upload.objects.none()
        return outcome_imports_visible_to(user=self.request.user)

    @extend_schema(request=OutcomeImportIn, responses={201: UploadOut, 400: None})
    def create(self, request):
        data = OutcomeImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        record = outcome_import_create(
            actor=request.user,
            commissioner=_commissioner(request.user, data.validated_data.get("commissioner")),
            upload=data.validated_data["file"],
        )
        upload_require_complete(record)
        return Response(UploadOut(record).data, status=status.HTTP_201_CREATED)
