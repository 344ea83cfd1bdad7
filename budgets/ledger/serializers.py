"""API shapes for the ledger. Money is integer pence in fields named `*_pence`, with a
formatted string beside it where a person will read it; floats are refused."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from budgets.periods import year_label
from consortia.money import format_money

from .models import Account, BudgetLine, Leg, Transaction


class PenceField(serializers.IntegerField):
    """Whole pence as a JSON integer: 100000 is £1,000.00. Floats and text are refused."""

    default_error_messages = {
        "not_pence": "Give whole pence as an integer, for example 100000 for £1,000.00.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_pence")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class MoneyText(serializers.Field):
    """Pence formatted for people: "£1,234.56" (read only)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return format_money(value)


class BudgetLineOut(serializers.ModelSerializer):
    commissioner = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = BudgetLine
        fields = ["id", "commissioner", "code", "name", "group", "category", "order", "spendable"]


class AccountRef(serializers.ModelSerializer):
    """An account named by its organisation, line and year."""

    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    line = serializers.SlugRelatedField(slug_field="code", read_only=True)
    line_name = serializers.CharField(source="line.name", read_only=True)
    year_label = serializers.SerializerMethodField()
    label = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "line",
            "line_name",
            "year",
            "year_label",
            "purpose",
            "label",
        ]

    def get_year_label(self, account) -> str:
        return year_label(account.year)


class AccountOut(AccountRef):
    balance_pence = serializers.IntegerField(source="balance", read_only=True)
    balance = MoneyText()
    committed_pence = serializers.IntegerField(source="committed", read_only=True)
    uncommitted_pence = serializers.SerializerMethodField()

    class Meta(AccountRef.Meta):
        fields = [
            *AccountRef.Meta.fields,
            "balance_pence",
            "balance",
            "committed_pence",
            "uncommitted_pence",
        ]

    def get_uncommitted_pence(self, account) -> int:
        return account.balance - account.committed


class LedgerEntryOut(serializers.Serializer):
    leg_id = serializers.IntegerField(source="leg.pk")
    transaction_id = serializers.IntegerField(source="transaction.pk")
    posted_at = serializers.DateTimeField(source="transaction.posted_at")
    kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")
    posted_by = serializers.CharField(source="transaction.posted_by_label")
    amount_pence = serializers.IntegerField(source="amount")
    balance_pence = serializers.IntegerField(source="balance")
    balance = MoneyText()


class MonthOut(serializers.Serializer):
    month = serializers.IntegerField(help_text="1 is April, 12 is March (the NHS financial year)")
    name = serializers.CharField()
    amount_pence = serializers.IntegerField(source="amount")


class AccountLedgerOut(serializers.Serializer):
    account = AccountRef()
    balance_pence = serializers.IntegerField(source="balance")
    committed_pence = serializers.IntegerField(source="committed")
    uncommitted_pence = serializers.IntegerField(source="uncommitted")
    entries = LedgerEntryOut(many=True)
    months = MonthOut(many=True, help_text="The budget phased M1 (April) to M12 (March)")


class LegOut(serializers.ModelSerializer):
    account = AccountRef(read_only=True)
    amount_pence = serializers.IntegerField(source="amount", read_only=True)

    class Meta:
        model = Leg
        fields = ["id", "account", "amount_pence"]


class TransactionOut(serializers.ModelSerializer):
    posted_by = serializers.CharField(source="posted_by_label", read_only=True)
    legs = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = ["id", "year", "kind", "memo", "posted_at", "posted_by", "reverses", "legs"]

    @extend_schema_field(LegOut(many=True))
    def get_legs(self, txn):
        # Lists attach only the legs the caller may see (transactions_visible_to); a
        # transaction the caller has just posted is shown whole.
        legs = getattr(txn, "visible_legs", None)
        if legs is None:
            legs = txn.legs.select_related("account__organisation", "account__line")
        return LegOut(legs, many=True).data
