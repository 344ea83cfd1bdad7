"""Budget endpoints: lines, accounts and ledgers, model runs, virements, transactions.

Every queryset comes from a scoped selector, so a row the caller may not see answers 404, the
same as a missing one; writes go through one service each, whose refusals come back as
{"message": ..., "extra": {...}} (400 for ApplicationError, 403 for PermissionDenied).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .models import Account, BudgetLine, ModelRun, Transaction, Virement
from .selectors import (
    account_statement,
    accounts_visible_to,
    accounts_with_balances_visible_to,
    budget_lines_visible_to,
    model_run_explanation,
    model_runs_visible_to,
    transactions_visible_to,
    virements_visible_to,
)
from .serializers import (
    AccountLedgerOut,
    AccountOut,
    BudgetLineOut,
    ModelRunDetailOut,
    ModelRunOut,
    TransactionOut,
    VirementApproveIn,
    VirementIn,
    VirementOut,
    VirementRejectIn,
)

ERROR = OpenApiResponse(description='{"message": ..., "extra": {...}}')


def _schema(view) -> bool:
    return getattr(view, "swagger_fake_view", False)  # drf-spectacular building the schema


class BudgetLineViewSet(viewsets.ReadOnlyModelViewSet):
    """The budget lines of the commissioners whose money the caller may see."""

    serializer_class = BudgetLineOut
    filterset_fields = ["code", "category"]

    def get_queryset(self):
        if _schema(self):
            return BudgetLine.objects.none()
        return budget_lines_visible_to(user=self.request.user)


class AccountFilter(django_filters.FilterSet):
    organisation = django_filters.CharFilter(
        field_name="organisation__code", label="Organisation code"
    )
    line = django_filters.CharFilter(field_name="line__code", label="Budget line code")

    class Meta:
        model = Account
        fields = ["year", "organisation", "line", "purpose"]


@extend_schema_view(
    list=extend_schema(summary="Accounts the caller may see, with balances"),
    retrieve=extend_schema(summary="One account with its balance"),
)
class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AccountOut
    filterset_class = AccountFilter

    def get_queryset(self):
        if _schema(self):
            return Account.objects.none()
        return accounts_with_balances_visible_to(user=self.request.user).order_by(
            "year", "organisation__path", "line__order", "purpose"
        )

    @extend_schema(
        summary="The account's ledger, oldest first, with the running balance",
        responses={200: AccountLedgerOut, 404: ERROR},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def ledger(self, request, pk=None):
        statement = account_statement(user=request.user, pk=pk)
        return Response(AccountLedgerOut(statement).data)


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


class TransactionFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="legs__account", distinct=True)

    class Meta:
        model = Transaction
        fields = ["year", "kind", "account"]


@extend_schema_view(
    list=extend_schema(summary="Transactions touching accounts the caller may see"),
    retrieve=extend_schema(summary="One transaction with the legs the caller may see"),
)
class TransactionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TransactionOut
    filterset_class = TransactionFilter

    def get_queryset(self):
        if _schema(self):
            return Transaction.objects.none()
        return transactions_visible_to(user=self.request.user)
