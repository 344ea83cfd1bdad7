"""Ledger endpoints: budget lines, accounts and their ledgers, transactions.

Every queryset comes from a scoped selector, so a row the caller may not see answers 404, the
same as a missing one.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .models import Account, BudgetLine, Transaction
from .selectors import (
    account_statement,
    accounts_with_balances_visible_to,
    budget_lines_visible_to,
    transactions_visible_to,
)
from .serializers import AccountLedgerOut, AccountOut, BudgetLineOut, TransactionOut

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
