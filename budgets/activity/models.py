"""Providers' monthly activity, its imports, and the reconciliation against hard budgets.

`ActivityRow` is the fact table: one row per imported line, charged to an organisation node (a
practice, or a locality/sub-locality for community services) and a budget line. On PostgreSQL it
is partitioned by financial year, then locality (see the migrations). As it loads a file, the
loader also sums its rows into `ActivityTotal` (upload × month × node × line): reconciliation
sums those totals of the current uploads into `ActualSummary` (node × line × month), never the
rows themselves, and computes `Position`s against the phased budgets.
"""

from django.db import models
from django.db.models import Q

from budgets.ledger.models import BudgetLine
from consortia.models import Organisation, User


class ProviderKind(models.TextChoices):
    NHS_TRUST = "nhs_trust", "NHS trust"
    FOUNDATION_TRUST = "foundation_trust", "NHS foundation trust"
    INDEPENDENT = "independent", "Independent sector"
    GPSI = "gpsi", "GP with a special interest"
    OTHER = "other", "Other"


class Provider(models.Model):
    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=10)  # ODS code, e.g. RNL
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ProviderKind.choices)
    contracted = models.BooleanField(default=True)  # the PCT holds a contract with it
    # Payment on information: activity is payable only once the GP has the information.
    payment_on_information = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["commissioner", "code"], name="provider_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PointOfDelivery(models.TextChoices):
    ELECTIVE = "EL", "Elective"
    DAY_CASE = "DC", "Day case"
    NON_ELECTIVE = "NEL", "Non-elective"
    OUTPATIENT_FIRST = "OPFA", "Outpatient first attendance"
    OUTPATIENT_FOLLOW_UP = "OPFU", "Outpatient follow-up"
    AE = "AE", "A&E"
    OTHER = "OTH", "Other"


class TariffPrice(models.Model):
    """National tariff: the price of one unit of activity by year, HRG/treatment function, POD."""

    year = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=10)  # HRG (e.g. BZ02Z) or treatment function (e.g. 130)
    pod = models.CharField(max_length=4, choices=PointOfDelivery.choices)
    description = models.CharField(max_length=200, blank=True)
    price = models.BigIntegerField()  # pence
    source = models.CharField(max_length=200)

    class Meta:
        ordering = ["year", "code", "pod"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code", "pod"], name="tariff_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="tariff_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.code} {self.pod}: {self.price}"


class ImportKind(models.TextChoices):
    HOSPITAL = "hospital", "Hospital activity"
    EXCLUDED = "excluded", "PbR-excluded drugs and devices"
    PRESCRIBING = "prescribing", "Prescribing"
    COMMUNITY = "community", "Community services"


class ActivityRow(models.Model):
    """An imported row, normalised. On PostgreSQL partitioned by `year`, and each year's
    partition by `locality`, so each locality's reconciliation reads only its own rows.

    Its references carry no database constraint: checking millions of foreign keys row by row
    at commit would cost more than the load. They are guaranteed by the import, which takes
    every id from a join on the referenced table, and the referenced rows are never deleted
    (PROTECT, and no delete in the admin)."""

    # Rows are never updated and are read by sequential scans of a (year, locality) partition,
    # so on PostgreSQL the id carries no index or constraint: it is the upload's id × 2³² + the
    # row's number in the file, unique by construction and free to compute while loading.
    id = models.BigIntegerField(primary_key=True, serialize=False)
    upload = models.ForeignKey(
        "imports.Upload",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    locality = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    line = models.ForeignKey(
        BudgetLine, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    provider = models.ForeignKey(
        Provider,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    pod = models.CharField(max_length=4, blank=True)
    code = models.CharField(max_length=20, blank=True)  # HRG, treatment function, or service
    activity = models.IntegerField(default=0)  # count of attendances/spells, or items
    cost = models.BigIntegerField()  # pence (actual cost for prescribing)
    held = models.BooleanField(default=False)  # its month was closed when it arrived

    # No index, constraint or identity on PostgreSQL (budgets/migrations/0007): each would cost
    # more than the load itself; the rows page scans one (year, locality) partition.

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.line_id} M{self.month}: {self.cost}"


class ActivityTotal(models.Model):
    """One upload's rows summed by month × node × line (held apart from counted), written by the
    loader in the same transaction as the rows. Reconciliation and the rows page read these: a
    few thousand totals per file instead of its millions of rows."""

    upload = models.ForeignKey("imports.Upload", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+")
    held = models.BooleanField(default=False)  # rows of a month closed when they arrived
    cost = models.BigIntegerField()  # pence
    activity = models.BigIntegerField()
    rows = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["year", "month", "organisation", "line"])]

    def __str__(self) -> str:
        return f"#{self.upload_id} {self.organisation_id} {self.line_id} M{self.month}: {self.cost}"


class MonthClose(models.Model):
    """A closed month: its figures are frozen; late data is held until it is reopened."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopen_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-year", "-month", "-closed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["commissioner", "year", "month"],
                condition=Q(reopened_at__isnull=True),
                name="one_open_close_per_month",
            ),
        ]

    def __str__(self) -> str:
        return f"Close of M{self.month} {self.year}"


class RagThresholds(models.Model):
    """When a forecast overspend turns amber and red (percent of annual budget), versioned."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField()
    amber_percent = models.DecimalField(max_digits=5, decimal_places=2)
    red_percent = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["commissioner_id", "-effective_from"]

    def __str__(self) -> str:
        return f"RAG amber {self.amber_percent}% red {self.red_percent}%"


class RunTrigger(models.TextChoices):
    PAGE = "page", "Started from the page"
    API = "api", "Started from the API"
    SCHEDULE = "schedule", "Celery beat schedule"
    COMMAND = "command", "Management command"
    DEMO = "demo", "Demo loader"


class RunStatusReco(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ReconciliationRun(models.Model):
    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    trigger = models.CharField(max_length=20, choices=RunTrigger.choices)
    started_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=RunStatusReco.choices, default=RunStatusReco.RUNNING
    )
    rows = models.PositiveBigIntegerField(default=0)  # activity rows summed
    localities_done = models.PositiveSmallIntegerField(default=0)
    localities_total = models.PositiveSmallIntegerField(default=0)
    errors = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Reconciliation M{self.month} {self.year} #{self.pk}"

    @property
    def duration_seconds(self) -> float | None:
        if not self.finished_at:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class ActualSummary(models.Model):
    """Actual spend by organisation node (practice, or locality for community) × line × month.

    Rebuilt per locality and month by reconciliation (delete and insert in one transaction), so
    running it twice, or after a crash, gives the same figures.
    """

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+")
    actual = models.BigIntegerField()
    activity = models.BigIntegerField()
    rows = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month", "organisation", "line"], name="actual_summary_unique"
            )
        ]
        indexes = [models.Index(fields=["year", "locality", "month"])]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.line_id} M{self.month}: {self.actual}"


class ActualSource(models.Model):
    """Which uploads a locality's actuals for a month were last summed from ("id:rows" of each
    complete upload, rows not held): reconciliation re-sums a (locality, month) only when this
    changes (a file completes or is superseded, or a reopened month releases held rows)."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    uploads = models.TextField(blank=True)
    summed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month", "locality"], name="actual_source_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.locality_id} M{self.month} {self.year}: {self.uploads}"


class RagStatus(models.TextChoices):
    GREEN = "green", "On track"
    AMBER = "amber", "At risk"
    RED = "red", "Overspending"


class Position(models.Model):
    """A node's position on a line (or all lines: line null) at a month: the dashboard's row."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="positions")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BudgetLine, null=True, on_delete=models.PROTECT, related_name="+")
    annual_budget = models.BigIntegerField()
    month_budget = models.BigIntegerField()
    month_actual = models.BigIntegerField()
    ytd_budget = models.BigIntegerField()
    ytd_actual = models.BigIntegerField()
    variance = models.BigIntegerField()  # ytd actual - ytd budget: positive is an overspend
    variance_percent = models.DecimalField(max_digits=9, decimal_places=2, null=True)
    forecast_run_rate = models.BigIntegerField()
    forecast_profile = models.BigIntegerField()
    forecast_method = models.CharField(max_length=10)  # which forecast the status uses
    forecast_outturn = models.BigIntegerField()
    forecast_variance = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=RagStatus.choices)

    class Meta:
        ordering = ["organisation__path", "line_id"]
        indexes = [models.Index(fields=["year", "month", "organisation"])]

    def __str__(self) -> str:
        return f"{self.organisation_id} M{self.month}: {self.status}"


class AlertState(models.Model):
    """The last status each node was alerted at, per month: alerts fire once per change."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=RagStatus.choices)
    alerted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "month"], name="alert_state_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} M{self.month}: {self.status}"
