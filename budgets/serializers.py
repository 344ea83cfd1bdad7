"""API shapes for budgets. Money is integer pence in fields named `*_pence`, with a formatted
string beside it where a person will read it; floats are refused."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consortia.money import format_money

from .models import (
    Account,
    AllocationParameters,
    BudgetLine,
    Leg,
    ModelRun,
    ModelRunLine,
    ModelRunLocality,
    ModelRunPractice,
    Transaction,
    Virement,
)
from .periods import year_label


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


class ParametersOut(serializers.ModelSerializer):
    class Meta:
        model = AllocationParameters
        fields = [
            "id",
            "name",
            "version",
            "effective_from",
            "age_weights",
            "need_weight",
            "market_forces",
            "sparsity",
            "pace_of_change_percent",
            "sources",
        ]


class ModelRunOut(serializers.ModelSerializer):
    commissioner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    year_label = serializers.SerializerMethodField()
    parameters = serializers.StringRelatedField()
    envelopes_pence = serializers.DictField(
        source="envelopes", child=serializers.IntegerField(), read_only=True
    )
    envelope_total_pence = serializers.SerializerMethodField()
    decided_by = serializers.StringRelatedField()

    class Meta:
        model = ModelRun
        fields = [
            "id",
            "commissioner",
            "year",
            "year_label",
            "status",
            "parameters",
            "population_date",
            "envelopes_pence",
            "envelope_total_pence",
            "created_at",
            "decided_at",
            "decided_by",
            "decision_note",
        ]

    def get_year_label(self, run) -> str:
        return year_label(run.year)

    def get_envelope_total_pence(self, run) -> int:
        return sum(run.envelopes.values())


class ModelRunLineOut(serializers.ModelSerializer):
    line = serializers.CharField(source="line.code")
    line_name = serializers.CharField(source="line.name")
    category = serializers.CharField(source="line.category")
    target_pence = serializers.IntegerField(source="target")
    baseline_pence = serializers.IntegerField(source="baseline", help_text="Last year's allocation")
    uplifted_baseline_pence = serializers.IntegerField(source="uplifted_baseline")
    capped_move_pence = serializers.IntegerField(source="capped_move")
    proposal_pence = serializers.IntegerField(source="proposal")
    change_pence = serializers.IntegerField(source="change", help_text="Proposal − baseline")

    class Meta:
        model = ModelRunLine
        fields = [
            "line",
            "line_name",
            "category",
            "target_pence",
            "baseline_pence",
            "uplifted_baseline_pence",
            "capped_move_pence",
            "proposal_pence",
            "change_pence",
        ]


class ModelRunLocalityOut(serializers.ModelSerializer):
    locality = serializers.CharField(source="locality.code")
    locality_name = serializers.CharField(source="locality.name")
    lines = ModelRunLineOut(many=True, source="line_rows")

    class Meta:
        model = ModelRunLocality
        fields = [
            "locality",
            "locality_name",
            "population",
            "age_weighted_population",
            "need_index",
            "market_forces",
            "sparsity",
            "weighted_population",
            "target_share",
            "lines",
        ]


class ModelRunPracticeOut(serializers.ModelSerializer):
    practice = serializers.CharField(source="practice.code")
    practice_name = serializers.CharField(source="practice.name")
    locality = serializers.CharField(source="locality.code")
    indicative_target_pence = serializers.IntegerField(source="indicative_target")

    class Meta:
        model = ModelRunPractice
        fields = [
            "practice",
            "practice_name",
            "locality",
            "population",
            "weighted_population",
            "indicative_target_pence",
        ]


class LineTotalOut(serializers.Serializer):
    line = serializers.CharField(source="line.code")
    envelope_pence = serializers.IntegerField(source="envelope")
    target_pence = serializers.IntegerField(source="target")
    baseline_pence = serializers.IntegerField(source="baseline")
    uplifted_baseline_pence = serializers.IntegerField(source="uplifted_baseline")
    capped_move_pence = serializers.IntegerField(source="capped_move")
    proposal_pence = serializers.IntegerField(source="proposal")
    balanced = serializers.BooleanField(
        help_text="Targets and proposals each sum to the envelope, to the penny"
    )


class ModelRunDetailOut(serializers.Serializer):
    """A run with every step: parameters, each locality with its lines, totals, practices."""

    run = ModelRunOut()
    parameters = ParametersOut()
    localities = ModelRunLocalityOut(many=True)
    line_totals = LineTotalOut(many=True)
    balanced = serializers.BooleanField()
    practices = ModelRunPracticeOut(many=True)


class VirementOut(serializers.ModelSerializer):
    source = AccountRef(read_only=True)
    target = AccountRef(read_only=True)
    amount_pence = serializers.IntegerField(source="amount", read_only=True)
    amount = MoneyText()
    requested_by = serializers.StringRelatedField()
    decided_by = serializers.StringRelatedField()

    class Meta:
        model = Virement
        fields = [
            "id",
            "source",
            "target",
            "amount_pence",
            "amount",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "override_reason",
            "approved_by_senate",
            "transaction",
        ]


class VirementIn(serializers.Serializer):
    source = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.none(), help_text="Id of the account the money comes from"
    )
    target = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.none(), help_text="Id of the account the money goes to"
    )
    amount_pence = PenceField(help_text="Whole pence, more than 0")
    reason = serializers.CharField(max_length=500, help_text="Why the money should move")

    def __init__(self, *args, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if accounts is not None:
            self.fields["source"].queryset = accounts
            self.fields["target"].queryset = accounts


class VirementApproveIn(serializers.Serializer):
    override_reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="PCT finance only: why the source may fall below what is committed",
    )


class VirementRejectIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why, for the requester to read")
