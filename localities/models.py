"""Practice populations and need, each dated: lists change quarterly, so history is kept.

A new quarter's figures are a new snapshot; nothing is overwritten. "The" list size of a practice
on a date is its latest snapshot on or before that date (localities.selectors).

The outcomes the leaders watch are defined in localities/outcomes/models.py and re-exported here,
so that the app has one models module.
"""

from django.db import models
from django.db.models import Q

from consortia.models import Organisation

from .outcomes.models import (  # re-exported: one app, and localities.models.X imports stand
    OutcomeComparator,
    OutcomeCount,
    OutcomeMeasure,
    period_label,
)


class Sex(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"


# The ten-year bands the NHS BSA/NHS Digital list-size publications use.
AGE_BANDS = ["0-4", "5-14", "15-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]


class ListSizeSnapshot(models.Model):
    """A practice's registered population on a date, from a named publication."""

    practice = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="list_size_snapshots"
    )
    as_of = models.DateField()
    registered_patients = models.PositiveIntegerField()
    source = models.CharField(max_length=255)
    upload = models.ForeignKey(
        "imports.Upload", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the file it came from, if it was imported

    class Meta:
        ordering = ["practice_id", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "as_of"], name="list_size_one_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.practice.code} {self.as_of}: {self.registered_patients}"


class ListSizeBand(models.Model):
    """Registered patients of one sex and age band within a snapshot."""

    snapshot = models.ForeignKey(ListSizeSnapshot, on_delete=models.CASCADE, related_name="bands")
    sex = models.CharField(max_length=1, choices=Sex.choices)
    age_band = models.CharField(max_length=10, choices=[(b, b) for b in AGE_BANDS])
    patients = models.PositiveIntegerField()

    class Meta:
        ordering = ["snapshot_id", "sex", "age_band"]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "sex", "age_band"], name="list_size_band_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sex} {self.age_band}: {self.patients}"


class DeprivationScore(models.Model):
    """A need/deprivation score for a practice on a date (e.g. IMD 2010 score of its area)."""

    practice = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="deprivation_scores"
    )
    as_of = models.DateField()
    score = models.DecimalField(max_digits=7, decimal_places=3)
    source = models.CharField(max_length=255)

    class Meta:
        ordering = ["practice_id", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "as_of"], name="deprivation_one_per_date"),
            models.CheckConstraint(condition=Q(score__gte=0), name="deprivation_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.as_of}: {self.score}"


class WeightedPopulation(models.Model):
    """A practice's need-weighted population for a financial year, as NHS England publishes it
    (the allocations tool's practice output): registered patients, the population the formula
    uses, the weighted population of each component and the final one. Imported, never typed."""

    practice = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="weighted_populations"
    )
    year = models.PositiveSmallIntegerField()  # financial year by its starting calendar year
    registered_patients = models.PositiveIntegerField()
    population = models.DecimalField(max_digits=14, decimal_places=6)
    general_and_acute = models.DecimalField(max_digits=14, decimal_places=6)
    community_services = models.DecimalField(max_digits=14, decimal_places=6)
    mental_health = models.DecimalField(max_digits=14, decimal_places=6)
    maternity = models.DecimalField(max_digits=14, decimal_places=6)
    health_inequalities = models.DecimalField(max_digits=14, decimal_places=6)
    prescribing = models.DecimalField(max_digits=14, decimal_places=6)
    final = models.DecimalField(max_digits=14, decimal_places=6)
    primary_medical_care = models.DecimalField(
        max_digits=14, decimal_places=6, null=True, blank=True
    )
    source = models.CharField(max_length=255)
    upload = models.ForeignKey("imports.Upload", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["year", "practice_id"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "year"], name="weighted_population_once"),
            models.CheckConstraint(
                condition=Q(final__gte=0), name="weighted_population_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.year}: {self.final}"


__all__ = [
    "AGE_BANDS",
    "WeightedPopulation",
    "DeprivationScore",
    "ListSizeBand",
    "ListSizeSnapshot",
    "OutcomeComparator",
    "OutcomeCount",
    "OutcomeMeasure",
    "Sex",
    "period_label",
]
