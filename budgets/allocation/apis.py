"""Allocation endpoints: model runs, explained step by step, and their approval.

Querysets come from scoped selectors (404 alike for missing and not yours); approval goes
through one service, whose refusals come back as {"message": ..., "extra": {...}}.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from budgets.ledger.serializers import TransactionOut

from . import services
from .models import ModelRun
from .selectors import model_run_explanation, model_runs_visible_to
from .serializers import ModelRunDetailOut, ModelRunOut

ERROR = OpenApiResponse(description='{"message": ..., "extra": {...}}')


def _schema(view) -> bool:
    return getattr(view, "swagger_fake_view", False)  # drf-spectacular building the schema


@extend_schema_view(
    list=extend_schema(summary="Allocation model runs"),
    retrieve=extend_schema(
        summary="A run with every step: parameters, localities with their lines, totals",
        responses={200: ModelRunDetailOut, 404: ERROR},
    ),
)
class ModelRunViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ModelRunOut
    filterset_fields = ["year", "status"]

    def get_queryset(self):
        if _schema(self):
            return ModelRun.objects.none()
        return model_runs_visible_to(user=self.request.user).select_related(
            "commissioner", "parameters", "decided_by"
        )

    def retrieve(self, request, *args, **kwargs):
        explanation = model_run_explanation(run=self.get_object())
        return Response(ModelRunDetailOut(explanation).data)

    @extend_schema(
        summary="Approve a proposed run and post its allocations (chief executive)",
        request=None,
        responses={201: TransactionOut, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        txn = services.model_run_approve(run=self.get_object(), actor=request.user)
        return Response(TransactionOut(txn).data, status=status.HTTP_201_CREATED)
