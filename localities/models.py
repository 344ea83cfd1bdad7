"""Practice populations and need, each dated: lists change quarterly, so history is kept.

A new quarter's figures are a new snapshot; nothing is overwritten. "The" list size of a practice
on a date is its latest snapshot on or before that date (localities.selectors).
"""

from django.db import models
from django.db.models import Q

from consortia.models import Organisation


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


# --- Outcomes the leaders watch -----------------------------------------------------------------


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


class OutcomeImportStatus(models.TextChoices):
    COMPLETE = "complete", "Imported"
    FAILED = "failed", "Failed: nothing imported"


class OutcomeImport(models.Model):
    """One uploaded file of outcome counts: all of it imported, or (with any error) none of it."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=255)
    content_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=OutcomeImportStatus.choices)
    uploaded_by = models.ForeignKey(
        "consortia.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    rows_replaced = models.PositiveIntegerField(default=0)  # same area, measure and period
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)  # [{"row": n, "column": c, "message": m}], first 1000

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commissioner", "content_hash"],
                condition=Q(status="complete"),
                name="outcome_import_same_file_once",
            )
        ]

    def __str__(self) -> str:
        return f"Outcomes #{self.pk} ({self.original_name})"


class OutcomeCount(models.Model):
    """A count of one measure for one area in one period: a financial year (month 0) or a month
    of it (M1 April .. M12 March). The area is a node of the tree (the commissioner, a locality
    or sub-locality) or a comparator. Written only by localities.outcome_services."""

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
    outcome_import = models.ForeignKey(
        OutcomeImport, on_delete=models.PROTECT, related_name="counts"
    )

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
