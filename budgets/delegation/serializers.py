"""API shapes for virements: out, and the requests to make, approve or reject one."""

from __future__ import annotations

from rest_framework import serializers

from budgets.ledger.models import Account

from ..ledger.serializers import AccountRef, MoneyText, PenceField
from .models import Virement


class VirementOut(serializers.ModelSerializer):
    source = AccountRef(read_only=True)
    target = AccountRef(read_only=True)
    amount_pence = serializers.IntegerField(source="amount", read_only=True)
    amount = MoneyText()
    requested_by = serializers.StringRelatedField()
    decided_by = serializers.StringRelatedField(allow_null=True)

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
