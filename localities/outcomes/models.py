"""Outcomes the leaders watch: measures, comparators, imported monthly counts by area."""

from django.db import models
from django.db.models import Q

from consortia.models import Organisation


class OutcomeMeasure(models.TextChoices):
    """What is counted. Short codes (as in activity files) are accepted on import too."""

    NON_ELECTIVE_ADMISSIONS = "non_elective_admissions", "Non-elective admissions"
    AE_ATTENDANCES = "ae_attendances", "A&E attendances"
    FIRST_OUTPATIENTS = "first_outpatient_appointments", "First outpatient appointments"


class OutcomeComparator(models.Model):
    """An area outside the commissioner's tree that its figures are set beside (e.g. England)."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["commissioner_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["commissioner", "code"], name="comparator_unique")
        ]

    def __str__(self) -> str:
        return self.name


class OutcomeCount(models.Model):
    """A count of one measure for one area in one period: a financial year (month 0) or a month
    of it (M1 April .. M12 March). The area is a node of the tree (the commissioner, a locality
    or sub-locality) or a comparator. Written only by localities.outcomes.services."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    area = models.CharField(max_length=20)  # the code as imported, e.g. 5NE-CAR or ENG
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comparator = models.ForeignKey(
        OutcomeComparator, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    measure = models.CharField(max_length=40, choices=OutcomeMeasure.choices)
    year = models.PositiveSmallIntegerField()  # financial year by its starting calendar year
    month = models.PositiveSmallIntegerField()  # 0 for the whole year
    count = models.PositiveBigIntegerField()
    upload = models.ForeignKey("imports.Upload", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["commissioner_id", "measure", "area", "year", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["commissioner", "area", "measure", "year", "month"],
                name="outcome_count_unique",
            ),
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(comparator__isnull=True))
                | (Q(organisation__isnull=True) & Q(comparator__isnull=False)),
                name="outcome_area_is_node_or_comparator",
            ),
            models.CheckConstraint(condition=Q(month__lte=12), name="outcome_month_in_year"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.measure} {self.period}: {self.count}"

    @property
    def period(self) -> str:
        return period_label(self.year, self.month)


def period_label(year: int, month: int) -> str:
    """2010, 0 -> "2010-11"; 2010, 1 -> "2010-11 M1"."""
    label = f"{year}-{(year + 1) % 100:02d}"
    return f"{label} M{month}" if month else label
