"""Virement endpoints: list, request, approve, reject.

Querysets come from scoped selectors (404 alike for missing and not yours); writes go through
one service each, whose refusals come back as {"message": ..., "extra": {...}} (400 for
ApplicationError, 403 for PermissionDenied).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from budgets.ledger.selectors import accounts_visible_to
from budgets.ledger.serializers import TransactionOut

from . import services
from .models import Virement
from .selectors import virements_visible_to
from .serializers import VirementApproveIn, VirementIn, VirementOut, VirementRejectIn

ERROR = OpenApiResponse(description='{"message": ..., "extra": {...}}')


def _schema(view) -> bool:
    return getattr(view, "swagger_fake_view", False)  # drf-spectacular building the schema


class VirementFilter(django_filters.FilterSet):
    class Meta:
        model = Virement
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(summary="Virements whose accounts the caller may see"),
    retrieve=extend_schema(summary="One virement"),
)
class VirementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = VirementOut
    filterset_class = VirementFilter

    def get_queryset(self):
        if _schema(self):
            return Virement.objects.none()
        return virements_visible_to(user=self.request.user)

    @extend_schema(
        summary="Request a virement between two budgets the caller manages",
        request=VirementIn,
        responses={201: VirementOut, 400: ERROR, 403: ERROR},
    )
    def create(self, request):
        data = VirementIn(data=request.data, accounts=accounts_visible_to(user=request.user))
        data.is_valid(raise_exception=True)
        virement = services.virement_request(
            actor=request.user,
            source=data.validated_data["source"],
            target=data.validated_data["target"],
            amount=data.validated_data["amount_pence"],
            reason=data.validated_data["reason"],
        )
        return Response(VirementOut(virement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve and post a requested virement (within your limit)",
        request=VirementApproveIn,
        responses={201: TransactionOut, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def approve(self, request, pk=None):
        virement = self.get_object()
        data = VirementApproveIn(data=request.data)
        data.is_valid(raise_exception=True)
        txn = services.virement_approve(
            virement=virement,
            actor=request.user,
            override_reason=data.validated_data["override_reason"],
        )
        return Response(TransactionOut(txn).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reject a requested virement, with a reason",
        request=VirementRejectIn,
        responses={200: VirementOut, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request, pk=None):
        virement = self.get_object()
        data = VirementRejectIn(data=request.data)
        data.is_valid(raise_exception=True)
        virement = services.virement_reject(
            virement=virement, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(
            VirementOut(virements_visible_to(user=request.user).get(pk=virement.pk)).data
        )
