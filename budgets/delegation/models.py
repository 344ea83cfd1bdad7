"""Delegation: risk pools shared by sub-localities, the scheme of delegation (who may approve
how much) and virements between budgets under it."""

from django.db import models
from django.db.models import Q

from consortia.models import Organisation, User

from ..ledger.models import Account, BudgetLine, Transaction


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
