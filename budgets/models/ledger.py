"""Delegated hard budgets: budget lines, a double-entry ledger, the resource allocation model,
delegation with risk pools, and virements under a scheme of delegation.

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


# --- Resource allocation model ----------------------------------------------------------------


class AllocationParameters(models.Model):
    """A versioned parameter set of the weighted capitation model. Approved sets are never edited."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    version = models.PositiveSmallIntegerField()
    effective_from = models.DateField()
    # {"M": {"0-4": "0.9", ...}, "F": {...}}: relative cost per head by sex and age band
    age_weights = models.JSONField()
    need_weight = models.DecimalField(max_digits=5, decimal_places=3)
    market_forces = models.JSONField(default=dict)  # locality code -> factor (default 1)
    sparsity = models.JSONField(default=dict)  # locality code -> factor (default 1)
    pace_of_change_percent = models.DecimalField(max_digits=5, decimal_places=2)
    sources = models.TextField()  # where each figure comes from, or that we chose it
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["commissioner_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["commissioner", "version"], name="parameters_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class RunStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved and posted"
    REJECTED = "rejected", "Rejected"


class ModelRun(models.Model):
    """The model applied to a year's envelope: a proposal until approved, then posted once."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    parameters = models.ForeignKey(
        AllocationParameters, on_delete=models.PROTECT, related_name="runs"
    )
    population_date = models.DateField()
    envelopes = models.JSONField()  # line code -> pence (delegated and collective lines)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-year", "-created_at"]
        constraints = [
            # One approved allocation per commissioner and year: never post an envelope twice.
            models.UniqueConstraint(
                fields=["commissioner", "year"],
                condition=Q(status="approved"),
                name="one_approved_run_per_year",
            )
        ]

    def __str__(self) -> str:
        return f"Allocation {self.year}-{(self.year + 1) % 100:02d} run #{self.pk}"


class ModelRunLocality(models.Model):
    """One locality's row of a run: every step from population to proposal, per budget line."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="localities")
    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    population = models.PositiveIntegerField()
    age_weighted_population = models.DecimalField(max_digits=16, decimal_places=4)
    need_index = models.DecimalField(max_digits=10, decimal_places=6)
    market_forces = models.DecimalField(max_digits=8, decimal_places=4)
    sparsity = models.DecimalField(max_digits=8, decimal_places=4)
    weighted_population = models.DecimalField(max_digits=16, decimal_places=4)
    target_share = models.DecimalField(max_digits=12, decimal_places=10)

    class Meta:
        ordering = ["run_id", "locality__name"]
        constraints = [
            models.UniqueConstraint(fields=["run", "locality"], name="run_locality_unique")
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.locality}"


class ModelRunLine(models.Model):
    """A locality × budget line of a run, in pence: target, baseline, pace-of-change proposal."""

    row = models.ForeignKey(ModelRunLocality, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+")
    target = models.BigIntegerField()
    baseline = models.BigIntegerField()  # last year's allocation
    uplifted_baseline = models.BigIntegerField()  # last year's share of this year's envelope
    capped_move = models.BigIntegerField()  # movement toward target after pace of change
    proposal = models.BigIntegerField()

    class Meta:
        ordering = ["row_id", "line__order"]

    def __str__(self) -> str:
        return f"{self.row} {self.line}"

    @property
    def change(self) -> int:
        return self.proposal - self.baseline


class ModelRunPractice(models.Model):
    """Indicative figures for each practice (not posted): its part of its locality's weighting."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="practices")
    practice = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    population = models.PositiveIntegerField()
    weighted_population = models.DecimalField(max_digits=16, decimal_places=4)
    indicative_target = models.BigIntegerField()  # pence, all delegated lines

    class Meta:
        ordering = ["run_id", "practice__name"]

    def __str__(self) -> str:
        return f"{self.run} {self.practice}"


class AllocationBaseline(models.Model):
    """Last year's allocation of a locality and line: the starting point for pace of change."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    source = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "locality", "line"], name="baseline_unique")
        ]

    def __str__(self) -> str:
        return f"{self.locality} {self.line} {self.year}"


# --- Risk pools and virements ----------------------------------------------------------------


class ReturnRule(models.TextChoices):
    PRO_RATA_CONTRIBUTION = (
        "pro_rata_contribution",
        "Back to sub-localities pro rata to contributions",
    )
    TO_LOCALITY = "to_locality", "Kept by the locality"


class RiskPool(models.Model):
    """A locality's pool, funded by a percentage of each sub-locality's budget on a line."""

    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+")
    percentage = models.DecimalField(max_digits=5, decimal_places=2)
    return_rule = models.CharField(max_length=30, choices=ReturnRule.choices)
    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="risk_pool")
    agreed_rules = models.TextField(blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["locality", "year", "line"], name="risk_pool_unique")
        ]

    def __str__(self) -> str:
        return f"Risk pool {self.locality} {self.line} {self.year}"


class SchemeOfDelegation(models.Model):
    """Virement limits by role (pence), versioned. Above every limit, or between localities,
    a virement goes to the clinical senate."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField()
    limits = models.JSONField()  # role -> max pence the role may approve within a locality
    source = models.CharField(max_length=200)

    class Meta:
        ordering = ["commissioner_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["commissioner", "effective_from"], name="scheme_unique")
        ]

    def __str__(self) -> str:
        return f"Scheme of delegation from {self.effective_from}"


class VirementStatus(models.TextChoices):
    REQUESTED = "requested", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Virement(models.Model):
    source = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="virements_out")
    target = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="virements_in")
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    status = models.CharField(
        max_length=20, choices=VirementStatus.choices, default=VirementStatus.REQUESTED
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    override_reason = models.CharField(max_length=500, blank=True)
    approved_by_senate = models.BooleanField(default=False)
    transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="virement"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="virement_positive"),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="virement_two_accounts"
            ),
        ]

    def __str__(self) -> str:
        return f"Virement #{self.pk}: {self.source} → {self.target}"
