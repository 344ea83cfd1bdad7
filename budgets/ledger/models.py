"""The ledger: budget lines and their phasing, accounts, and a double-entry ledger of
transactions and legs, with commitments against accounts.

Money is integer pence everywhere (consortia.money). Ledger rows are append-only and every
transaction balances to zero; on PostgreSQL both rules are enforced by the database (migrations).
"""

from django.db import models
from django.db.models import Q

from consortia.models import Organisation, User


class LineCategory(models.TextChoices):
    DELEGATED = "delegated", "Delegated to localities"
    COLLECTIVE = "collective", "Held collectively at county level"
    MEMORANDUM = "memorandum", "Memorandum (for information, not spendable)"
    FUNDING = "funding", "Funding received by the commissioner"


class BudgetLine(models.Model):
    """A line of the budget, configurable per commissioner (Cumbria's are seeded by the demo)."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=120)
    group = models.CharField(max_length=60, blank=True)  # e.g. "Secondary care"
    category = models.CharField(max_length=20, choices=LineCategory.choices)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["commissioner_id", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["commissioner", "code"], name="budget_line_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def spendable(self) -> bool:
        return self.category in (LineCategory.DELEGATED, LineCategory.COLLECTIVE)


class PhasingProfile(models.Model):
    """How a line's annual budget falls across M1 (April) .. M12 (March), in percent.

    No row means flat twelfths. Shares are stored as twelve decimal strings summing to 100.
    """

    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="profiles")
    year = models.PositiveSmallIntegerField()  # financial year by its starting calendar year
    shares = models.JSONField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "year"], name="profile_unique")]

    def __str__(self) -> str:
        return f"{self.line} {self.year}"


class AccountPurpose(models.TextChoices):
    BUDGET = "budget", "Budget"
    RISK_POOL = "risk_pool", "Risk pool"
    FUNDING = "funding", "Funding"


class Account(models.Model):
    """One account per (organisation node, financial year, budget line, purpose)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="accounts"
    )
    year = models.PositiveSmallIntegerField()
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="accounts")
    purpose = models.CharField(
        max_length=20, choices=AccountPurpose.choices, default=AccountPurpose.BUDGET
    )

    class Meta:
        ordering = ["organisation__path", "line__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "line", "purpose"], name="account_unique"
            )
        ]

    def __str__(self) -> str:
        suffix = "" if self.purpose == AccountPurpose.BUDGET else f" ({self.get_purpose_display()})"
        return f"{self.organisation.name} · {self.line.name} · {self.year}-{(self.year + 1) % 100:02d}{suffix}"


class TransactionKind(models.TextChoices):
    ALLOCATION = "allocation", "Allocation (approved model run)"
    DELEGATION = "delegation", "Delegation to a sub-locality"
    RISK_POOL_CONTRIBUTION = "risk_pool_contribution", "Risk pool contribution"
    RISK_POOL_SETTLEMENT = "risk_pool_settlement", "Risk pool year-end settlement"
    VIREMENT = "virement", "Virement"
    REVERSAL = "reversal", "Reversal"


class Transaction(models.Model):
    """A balanced, immutable movement of money: two or more legs summing to exactly zero."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=30, choices=TransactionKind.choices)
    memo = models.CharField(max_length=500)
    posted_at = models.DateTimeField(auto_now_add=True)
    posted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_by_label = models.CharField(max_length=150)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    model_run = models.OneToOneField(
        "ModelRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocation_transaction",
    )

    class Meta:
        ordering = ["-posted_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}: {self.memo}"


class Leg(models.Model):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="legs")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="legs")
    amount = models.BigIntegerField()  # pence; + credits the account's budget, - debits it

    class Meta:
        ordering = ["transaction_id", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="leg_not_zero")]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"


class Commitment(models.Model):
    """Money already committed or spent against an account (orders, contracts, actuals).

    A virement may not take an account below its commitments unless finance overrides.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="commitments")
    amount = models.BigIntegerField()
    description = models.CharField(max_length=200)
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.account}: {self.amount} ({self.description})"
