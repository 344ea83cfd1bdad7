"""Referrals: GP referrals and providers' information back, peer review, local schemes, interests.

`Referral` is a fact table like `budgets.ActivityRow`: one row per referral, charged to the
registering practice (and its locality, denormalised so rates are one GROUP BY). A patient is
never stored: `patient_key` is an HMAC of the NHS number keyed with a secret from the settings
(see referrals/patients.py and docs/decisions.md).
"""

from django.db import models
from django.db.models import Q

from budgets.models import Provider, TariffPrice
from consortia.models import Organisation, User

# Treatment function codes (NHS Data Dictionary, "Treatment Function Code") used on the pages.
# Other three-digit codes are accepted and shown by their number.
SPECIALTIES = {
    "100": "General surgery",
    "101": "Urology",
    "110": "Trauma and orthopaedics",
    "120": "Ear, nose and throat",
    "130": "Ophthalmology",
    "140": "Oral surgery",
    "300": "General medicine",
    "301": "Gastroenterology",
    "320": "Cardiology",
    "330": "Dermatology",
    "340": "Respiratory medicine",
    "400": "Neurology",
    "410": "Rheumatology",
    "420": "Paediatrics",
    "430": "Elderly medicine",
    "502": "Gynaecology",
}


def specialty_name(code: str) -> str:
    return SPECIALTIES.get(code, f"Treatment function {code}")


class Priority(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    TWO_WEEK_WAIT = "two_week_wait", "Two-week wait"


class ReferralImportKind(models.TextChoices):
    REFERRALS = "referrals", "Referrals"
    INFORMATION = "information", "Information events (clinic letters, discharge summaries)"


class Referral(models.Model):
    upload = models.ForeignKey(
        "imports.Upload", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # null when posted through the API
    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    referred_on = models.DateField()
    year = models.PositiveSmallIntegerField()  # financial year of referred_on
    month = models.PositiveSmallIntegerField()  # M1 April .. M12 March
    specialty = models.CharField(max_length=3)  # treatment function code
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=20, choices=Priority.choices)
    clinician = models.CharField(max_length=20, blank=True)  # e.g. GMC or GP code; optional
    patient_key = models.CharField(max_length=64)  # HMAC-SHA256 of the NHS number, hex
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-referred_on", "-id"]
        indexes = [
            models.Index(fields=["commissioner", "year", "specialty", "month"]),
            models.Index(fields=["practice", "year", "month"]),
            models.Index(fields=["patient_key"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="referral_month_is_m1_to_m12"
            ),
            models.CheckConstraint(
                condition=Q(specialty__regex=r"^[0-9]{3}$"), name="referral_specialty_is_a_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.referred_on} {self.specialty}"


class InformationKind(models.TextChoices):
    CLINIC_LETTER = "clinic_letter", "Clinic letter"
    DISCHARGE_SUMMARY = "discharge_summary", "Discharge summary"


class InformationEvent(models.Model):
    """An attendance or discharge after which the GP is owed information, and when it arrived.

    `reference` is the provider's own identifier of the attendance or spell: a later file or API
    call with the same reference records the information's arrival (`received_at`).
    """

    upload = models.ForeignKey(
        "imports.Upload", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # null when posted through the API
    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=InformationKind.choices)
    specialty = models.CharField(max_length=3)
    occurred_at = models.DateTimeField()  # attendance or discharge
    year = models.PositiveSmallIntegerField()  # financial year and month of occurred_at
    month = models.PositiveSmallIntegerField()
    received_at = models.DateTimeField(null=True, blank=True)  # by the GP; null: not yet
    delay_hours = models.PositiveIntegerField(null=True, blank=True)  # received - occurred
    patient_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "reference"], name="information_event_unique_reference"
            ),
            models.CheckConstraint(
                condition=Q(received_at__isnull=True) | Q(received_at__gte=models.F("occurred_at")),
                name="information_received_after_event",
            ),
        ]
        indexes = [
            models.Index(fields=["commissioner", "year", "provider", "month"]),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.reference} {self.kind}"


class InformationStandard(models.Model):
    """How soon the GP must receive each kind of information (hours), versioned.

    Defaults (no row): the NHS Standard Contract's discharge summaries within 24 hours and clinic
    letters within 7 days (168 hours).
    """

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=InformationKind.choices)
    effective_from = models.DateField()
    within_hours = models.PositiveIntegerField()
    source = models.CharField(max_length=255)

    class Meta:
        ordering = ["commissioner_id", "kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["commissioner", "kind", "effective_from"], name="information_standard_once"
            ),
            models.CheckConstraint(
                condition=Q(within_hours__gt=0), name="information_standard_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} within {self.within_hours}h from {self.effective_from}"


class Overdispersion(models.TextChoices):
    NONE = "none", "None (Poisson limits)"
    MULTIPLICATIVE = "multiplicative", "Multiplicative (phi)"
    ADDITIVE = "additive", "Additive random effects (tau², as SHMI)"


class OutlierRule(models.Model):
    """Which control limit flags an outlier and the default overdispersion, versioned: rules
    clinicians approve are data. Without a row: 99.8% limits, no overdispersion adjustment."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField()
    limit = models.CharField(
        max_length=5, choices=[("95", "95% limits"), ("99.8", "99.8% limits")], default="99.8"
    )
    overdispersion = models.CharField(
        max_length=20, choices=Overdispersion.choices, default=Overdispersion.NONE
    )
    approved_by = models.CharField(max_length=255)  # the decision that approved it

    class Meta:
        ordering = ["commissioner_id", "-effective_from"]

    def __str__(self) -> str:
        return f"Outliers beyond {self.limit}% from {self.effective_from}"


class AgeWeighting(models.Model):
    """Relative use by age band (1.0 = average) for a measure: a treatment function code,
    "ALL" for all referrals, or "PRESC" for prescribing. A practice's weighted population is
    the sum over bands of its patients × the band's weight. Versioned with its source."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(max_length=5)
    effective_from = models.DateField()
    weights = models.JSONField()  # {"0-4": "0.5", ..., "75+": "3.6"} as decimal strings
    source = models.CharField(max_length=255)

    class Meta:
        ordering = ["commissioner_id", "measure", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["commissioner", "measure", "effective_from"], name="age_weighting_once"
            )
        ]

    def __str__(self) -> str:
        return f"Age weights for {self.measure} from {self.effective_from}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class PeerReview(models.Model):
    """A lead GP's review of a practice that stands out, with what was seen when it opened."""

    practice = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(max_length=5)  # treatment function code, or "PRESC"
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField(null=True, blank=True)  # null: the whole year
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    opened_on = models.DateField()
    follow_up_on = models.DateField()
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default="open")
    position = models.JSONField()  # rate, peer mean, limits and flag at opening
    closed_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4),
                name="peer_review_quarter",
            ),
            models.CheckConstraint(
                condition=Q(follow_up_on__gte=models.F("opened_on")),
                name="peer_review_follow_up_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"Peer review #{self.pk}: {self.practice} {self.measure}"


class PeerReviewNote(models.Model):
    """One entry of a review's history: a discussion, the agreed actions, the follow-up date.
    Append-only: history is kept."""

    review = models.ForeignKey(PeerReview, on_delete=models.PROTECT, related_name="notes")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    discussion = models.TextField()
    actions = models.TextField(blank=True)
    follow_up_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"Note on review #{self.review_id}"


class SchemeKind(models.TextChoices):
    GPSI = "gpsi", "GP with a special interest clinic"
    COMMUNITY = "community", "Community service"
    RAPID_RESPONSE = "rapid_response", "Rapid response"
    CARE_CLOSER_TO_HOME = "care_closer_to_home", "Care Closer to Home investment"
    CONTRACT = "contract", "Locally placed contract"
    OTHER = "other", "Other"


class LocalScheme(models.Model):
    """A service a locality (or sub-locality) commissions from a provider instead of hospital
    activity at tariff: its price per case (or fixed cost) and the tariff price it replaces."""

    commissioning_node = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=SchemeKind.choices)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    specialty = models.CharField(max_length=3, blank=True)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    price_per_case = models.BigIntegerField(null=True, blank=True)  # pence; null: cost per month
    tariff = models.ForeignKey(
        TariffPrice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tariff_price = models.BigIntegerField()  # pence per case of the activity it replaces
    tariff_description = models.CharField(max_length=200)
    investment = models.BigIntegerField(default=0)  # pence: set-up and equipment
    description = models.TextField(blank=True)
    registered_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["commissioning_node__path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_per_case__isnull=True) | Q(price_per_case__gte=0),
                name="scheme_price_not_negative",
            ),
            models.CheckConstraint(condition=Q(tariff_price__gt=0), name="scheme_tariff_positive"),
            models.CheckConstraint(condition=Q(investment__gte=0), name="scheme_investment_ok"),
        ]

    def __str__(self) -> str:
        return self.name


class SchemeActivity(models.Model):
    """Cases a scheme saw in a month and what they cost (pence)."""

    scheme = models.ForeignKey(LocalScheme, on_delete=models.PROTECT, related_name="activity")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    cases = models.PositiveIntegerField()
    cost = models.BigIntegerField()
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["scheme_id", "year", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "year", "month"], name="scheme_activity_once_a_month"
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="scheme_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id} M{self.month} {self.year}: {self.cases}"


class InterestKind(models.TextChoices):
    # The categories of NHS England's "Managing conflicts of interest in the NHS" (2017).
    FINANCIAL = "financial", "Financial interest"
    PROFESSIONAL = "professional", "Non-financial professional interest"
    PERSONAL = "personal", "Non-financial personal interest"
    INDIRECT = "indirect", "Indirect interest (a close associate's)"


class Interest(models.Model):
    """A clinician's or a practice's declared interest in a provider. Public once declared."""

    clinician = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="interests"
    )
    practice = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=InterestKind.choices)
    nature = models.CharField(max_length=500)
    declared_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    declared_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-declared_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(clinician__isnull=False, practice__isnull=True)
                | Q(clinician__isnull=True, practice__isnull=False),
                name="interest_held_by_a_clinician_or_a_practice",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("declared_on")),
                name="interest_ends_after_declared",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician or self.practice} in {self.provider}"


class ConflictJustification(models.Model):
    """The good medical reason recorded for commissioning a scheme from a provider in which one
    of the locality's decision makers has an interest. Append-only; shown on the public
    register."""

    scheme = models.ForeignKey(LocalScheme, on_delete=models.PROTECT, related_name="+")
    interest = models.ForeignKey(Interest, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField()
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "interest"], name="one_justification_each")
        ]

    def __str__(self) -> str:
        return f"Justification for scheme {self.scheme_id}, interest {self.interest_id}"
