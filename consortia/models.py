"""The organisation root: the organisation tree, people and their roles, and the audit log.

One `Organisation` model holds every level (commissioner, locality, sub-locality, practice); see
docs/decisions.md. A node's `path` ("/5NE/5NE-CAR/A82001/") makes "this node and everything under
it" a single indexed prefix query.
"""

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q


class User(AbstractUser):
    """A person who signs in. Their roles, each scoped to an organisation, are RoleAssignments."""

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class OrganisationKind(models.TextChoices):
    COMMISSIONER = "commissioner", "Commissioner"
    LOCALITY = "locality", "Locality"
    SUB_LOCALITY = "sub_locality", "Sub-locality"
    PRACTICE = "practice", "Practice"


# An organisation code: ODS-style upper-case letters, digits and hyphens.
organisation_code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]{1,19}$", "Use 2-20 capital letters, digits or hyphens."
)
# A GP practice's ODS code: one letter and five digits, e.g. A82003.
practice_ods_code_validator = RegexValidator(
    r"^[A-Z][0-9]{5}$", "A GP practice ODS code is one capital letter and five digits, e.g. A82003."
)


class Organisation(models.Model):
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    code = models.CharField(max_length=20, unique=True, validators=[organisation_code_validator])
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    postcode = models.CharField(max_length=10, blank=True)
    # A commissioner names its own levels (Cumbria: Locality, Sub-locality; an ICB: Place, PCN).
    locality_level_name = models.CharField(max_length=50, blank=True)
    sub_locality_level_name = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=OrganisationKind.COMMISSIONER, parent__isnull=True)
                | (~Q(kind=OrganisationKind.COMMISSIONER) & Q(parent__isnull=False)),
                name="organisation_only_commissioner_is_root",
            ),
            models.CheckConstraint(
                condition=~Q(kind=OrganisationKind.PRACTICE) | Q(code__regex=r"^[A-Z][0-9]{5}$"),
                name="organisation_practice_has_ods_code",
            ),
        ]
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self) -> str:
        return self.name

    @property
    def commissioner_code(self) -> str:
        return self.path.strip("/").split("/")[0]

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/")

    def is_within(self, other: "Organisation") -> bool:
        """True if this node is `other` or lies beneath it."""
        return self.path.startswith(other.path)


class Role(models.TextChoices):
    CHIEF_EXECUTIVE = "chief_executive", "Chief executive (accountable officer)"
    CHIEF_OPERATING_OFFICER = "chief_operating_officer", "Chief operating officer"
    PCT_FINANCE = "pct_finance", "PCT finance"
    EXECUTIVE_DIRECTOR = "executive_director", "PCT executive director"
    LOCALITY_LEAD = "locality_lead", "Locality lead GP"
    SUB_LOCALITY_LEAD = "sub_locality_lead", "Sub-locality lead"
    PRACTICE_MEMBER = "practice_member", "Practice member"
    SENATE_SECRETARY = "senate_secretary", "Senate secretary"


class RoleAssignment(models.Model):
    """A role a person holds at one organisation node. Written only by consortia.services."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=40, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="role_assignments"
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)  # first day no longer in force

    class Meta:
        ordering = ["user_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organisation", "starts_on"],
                name="role_assignment_unique",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="role_assignment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"


class AuditEvent(models.Model):
    """Who changed what, when, with the state before and after. Append-only (database triggers)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor_label = models.CharField(max_length=150)  # kept even if the user is renamed
    event = models.CharField(max_length=80, db_index=True)
    subject_type = models.CharField(max_length=80)
    subject_id = models.CharField(max_length=80)
    subject_label = models.CharField(max_length=255)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.event} {self.subject_label}"


class Notice(models.Model):
    """A message for one person, shown in the app (and e-mailed when it is sent)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notices")
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.subject}"
