"""API for activity imports, reconciliation runs, positions and month-end close. Thin."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from consortia.imports.models import Upload, UploadStatus
from consortia.imports.serializers import UploadOut
from consortia.models import Organisation, OrganisationKind
from consortia.permissions import Action, organisations_for

from .holds import held_for_positions
from .layouts import kind_of
from .models import ImportKind, Position, ReconciliationRun
from .selectors import (
    imports_visible_to,
    latest_run,
    positions_for,
    runs_visible_to,
)
from .services.imports import activity_file_receive
from .services.reconciliation import month_close, month_reopen, reconciliation_start


def _commissioner(user, code: str | None = None) -> Organisation:
    nodes = organisations_for(user, Action.VIEW_MONEY).filter(kind=OrganisationKind.COMMISSIONER)
    node = nodes.filter(code=code).first() if code else nodes.first()
    if node is None:
        raise PermissionDenied("Your role does not include this commissioner's money.")
    return node


class ImportFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ImportKind.choices, method="by_kind")
    status = django_filters.ChoiceFilter(choices=UploadStatus.choices)

    class Meta:
        model = Upload
        fields = ["kind", "year", "month", "status", "source"]

    def by_kind(self, queryset, name, value):
        return queryset.filter(kind=kind_of(value))


class ImportIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)
    provider = serializers.CharField(required=False, allow_blank=True, max_length=10)
    file = serializers.FileField()
    revision = serializers.BooleanField(required=False, default=False)
    commissioner = serializers.CharField(required=False, max_length=20)
    control_rows = serializers.IntegerField(
        required=False, min_value=0, help_text="The sender's count of rows: checked."
    )
    control_total = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="The sender's total in pounds, e.g. 1234.56: checked.",
    )


class ActivityImportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Upload a file (it is checked and loaded in the background) and follow its progress."""

    serializer_class = UploadOut
    parser_classes = [MultiPartParser, FormParser]
    filterset_class = ImportFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Upload.objects.none()
        return imports_visible_to(user=self.request.user)

    @extend_schema(request=ImportIn, responses={202: UploadOut})
    def create(self, request):
        data = ImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        commissioner = _commissioner(request.user, values.get("commissioner"))
        record = activity_file_receive(
            actor=request.user,
            commissioner=commissioner,
            kind=values["kind"],
            year=values["year"],
            month=values["month"],
            provider_code=values.get("provider") or "",
            upload=values["file"],
            revision=values["revision"],
            control_rows=values.get("control_rows"),
            control_total=values.get("control_total") or "",
        )
        record.refresh_from_db()
        return Response(UploadOut(record).data, status=status.HTTP_202_ACCEPTED)


class RunOut(serializers.ModelSerializer):
    commissioner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    started_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = ReconciliationRun
        fields = [
            "id",
            "commissioner",
            "year",
            "month",
            "trigger",
            "started_by",
            "started_at",
            "finished_at",
            "duration_seconds",
            "status",
            "rows",
            "localities_done",
            "localities_total",
            "errors",
        ]


class PeriodIn(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)
    commissioner = serializers.CharField(required=False)


class ReopenIn(PeriodIn):
    reason = serializers.CharField(max_length=500)


class ReconciliationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Reconciliation runs: start one (queued on Celery) and read their record."""

    serializer_class = RunOut
    filterset_fields = ["year", "month", "status", "trigger"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReconciliationRun.objects.none()
        return runs_visible_to(user=self.request.user)

    @extend_schema(request=PeriodIn, responses={202: RunOut})
    def create(self, request):
        data = PeriodIn(data=request.data)
        data.is_valid(raise_exception=True)
        run = reconciliation_start(
            actor=request.user,
            commissioner=_commissioner(request.user, data.validated_data.get("commissioner")),
            year=data.validated_data["year"],
            month=data.validated_data["month"],
            trigger="api",
        )
        run.refresh_from_db()
        return Response(RunOut(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=PeriodIn, responses={201: None})
    @action(detail=False, methods=["post"], url_path="close-month")
    def close_month(self, request):
        data = PeriodIn(data=request.data)
        data.is_valid(raise_exception=True)
        month_close(
            actor=request.user,
            commissioner=_commissioner(request.user, data.validated_data.get("commissioner")),
            year=data.validated_data["year"],
            month=data.validated_data["month"],
        )
        return Response(status=status.HTTP_201_CREATED)

    @extend_schema(request=ReopenIn, responses={200: None})
    @action(detail=False, methods=["post"], url_path="reopen-month")
    def reopen_month(self, request):
        data = ReopenIn(data=request.data)
        data.is_valid(raise_exception=True)
        month_reopen(
            actor=request.user,
            commissioner=_commissioner(request.user, data.validated_data.get("commissioner")),
            year=data.validated_data["year"],
            month=data.validated_data["month"],
            reason=data.validated_data["reason"],
        )
        return Response(status=status.HTTP_200_OK)


class PositionOut(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    line = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Position
        fields = [
            "organisation",
            "line",
            "year",
            "month",
            "annual_budget",
            "month_budget",
            "month_actual",
            "ytd_budget",
            "ytd_actual",
            "variance",
            "variance_percent",
            "forecast_run_rate",
            "forecast_profile",
            "forecast_method",
            "forecast_outturn",
            "forecast_variance",
            "status",
        ]


class HeldPositionOut(serializers.Serializer):
    organisation = serializers.CharField()
    line = serializers.CharField(allow_null=True)
    held = serializers.IntegerField(help_text="Pence held pending information, year to date")


class PositionsOut(serializers.Serializer):
    run = RunOut()
    total = PositionOut(allow_null=True)
    lines = PositionOut(many=True)
    children = PositionOut(many=True)
    held_pending_information = HeldPositionOut(
        many=True, help_text="Of the actuals, what payment on information holds (pence)"
    )


class PositionsApi(APIView):
    """A node's position against its hard budget at a month (money in pence)."""

    @extend_schema(responses=PositionsOut)
    def get(self, request, year: int, month: int, code: str):
        node = Organisation.objects.filter(code=code).first()
        if node is None:
            raise Http404("No such organisation.")
        commissioner = Organisation.objects.get(path="/" + node.commissioner_code + "/")
        run = latest_run(commissioner=commissioner, year=year, month=month)
        if run is None:
            raise Http404("No reconciliation for that month yet.")
        data = positions_for(user=request.user, node=node, run=run)
        held = held_for_positions(node=node, year=year, month=run.month)
        rows = [data["total"], *data["lines"], *data["children"]]
        data["held_pending_information"] = [
            {
                "organisation": p.organisation.code,
                "line": p.line.code if p.line_id else None,
                "held": held.get((p.organisation_id, p.line_id), 0),
            }
            for p in rows
            if p is not None
        ]
        return Response(PositionsOut({"run": run, **data}).data)
