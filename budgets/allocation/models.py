"""The resource allocation model's records: versioned parameter sets, runs with every step
kept (by locality, line and practice), and the baselines the pace of change starts from."""

from django.db import models
from django.db.models import Q

from consortia.models import Organisation, User

from ..ledger.models import BudgetLine


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
