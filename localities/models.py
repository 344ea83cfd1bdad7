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


__all__ = [
    "AGE_BANDS",
    "DeprivationScore",
    "ListSizeBand",
    "ListSizeSnapshot",
    "OutcomeComparator",
    "OutcomeCount",
    "OutcomeMeasure",
    "Sex",
    "period_label",
]
