"""The clinical senate: members, meetings, papers, declarations, motions, votes, the decision
register, and the county-wide standards set by the care stream boards.

Records here must stand up in public. The database holds the rules that matter most
(migrations 0002): votes are append-only, a vote can only be inserted while its motion is open,
a closed motion (its result) can never be updated, and declarations of interest are append-only.
Every write goes through `senate.services`, which audits it in the same transaction.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.db import models
from django.db.models import Q

from consortia.models import Organisation, User

from .validators import validate_paper


class MemberKind(models.TextChoices):
    LEAD_GP = "lead_gp", "Locality lead GP"
    EXECUTIVE_DIRECTOR = "executive_director", "PCT executive director"
    CO_OPTED = "co_opted", "Co-opted clinician (no vote)"


VOTING_KINDS = (MemberKind.LEAD_GP, MemberKind.EXECUTIVE_DIRECTOR)


class SenateMembership(models.Model):
    """A person's seat on a commissioner's senate, from `starts_on` until the day before
    `ends_on` (the first day no longer in force, as for roles)."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="senate_memberships")
    kind = models.CharField(max_length=30, choices=MemberKind.choices)
    title = models.CharField(max_length=150)  # e.g. "Lead GP, Eden"; "Community nursing lead"
    locality = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["commissioner_id", "kind", "user__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["commissioner", "user", "starts_on"], name="senate_membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="senate_membership_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MemberKind.LEAD_GP) | Q(locality__isnull=False),
                name="senate_lead_gp_has_locality",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.title})"

    @property
    def votes(self) -> bool:
        return self.kind in VOTING_KINDS


class SenateRules(models.Model):
    """The senate's standing rules as data, versioned by `effective_from`: the quorum and the
    higher threshold for changing the Statement of Principles. `approved_by` names the decision
    that set them (DOMAIN: rules clinicians approve are data)."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField()
    quorum_lead_gps = models.PositiveSmallIntegerField(default=4)
    quorum_executives = models.PositiveSmallIntegerField(default=1)
    principles_numerator = models.PositiveSmallIntegerField(default=2)
    principles_denominator = models.PositiveSmallIntegerField(default=3)
    approved_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["commissioner_id", "-effective_from"]
        verbose_name_plural = "senate rules"
        constraints = [
            models.UniqueConstraint(
                fields=["commissioner", "effective_from"], name="senate_rules_unique"
            ),
            models.CheckConstraint(
                condition=Q(principles_denominator__gt=0)
                & Q(principles_numerator__lte=models.F("principles_denominator")),
                name="senate_rules_threshold_is_a_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"Senate rules from {self.effective_from}"


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    IN_SESSION = "in_session", "In session"
    CLOSED = "closed", "Closed"


class Meeting(models.Model):
    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=40)  # "CS-2010-03-25"
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT
    )
    chair = models.ForeignKey(
        SenateMembership, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commissioner", "reference"], name="senate_meeting_reference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.reference})"

    @property
    def is_public(self) -> bool:
        return self.status != MeetingStatus.DRAFT


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    APOLOGIES = "apologies", "Apologies"


class Attendance(models.Model):
    """Who was in the room (or on the line), recorded by the secretary."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    member = models.ForeignKey(SenateMembership, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["meeting_id", "member__kind", "member__user__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="senate_attendance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_status_display()}"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="items")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["meeting_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="senate_item_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


def paper_upload_to(instance: Paper, filename: str) -> str:
    """Stored under a random name (never the uploader's): no guessing, no clashes."""
    suffix = PurePosixPath(filename).suffix.lower()
    return f"senate/papers/{uuid.uuid4().hex}{suffix}"


class Paper(models.Model):
    """A meeting paper (PDF, DOCX, XLSX or ODT, at most 10 MB), served through a view only."""

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="papers")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=paper_upload_to, validators=[validate_paper], max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item_id", "id"]

    def __str__(self) -> str:
        return self.title


class Declaration(models.Model):
    """A member's declared interest in an agenda item: they may not vote on it and do not count
    toward its quorum. Append-only (the record must say so, for ever)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="declarations")
    member = models.ForeignKey(SenateMembership, on_delete=models.PROTECT, related_name="+")
    interest = models.CharField(max_length=500)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="senate_declaration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member.user} on item {self.item.number}: {self.interest}"


# --- Care stream boards, standards and pathways ------------------------------------------------


class CareStream(models.Model):
    """One of the five clinically led care stream boards that set county-wide standards."""

    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["commissioner_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["commissioner", "code"], name="care_stream_unique")
        ]

    def __str__(self) -> str:
        return self.name


class StandardKind(models.TextChoices):
    STANDARD = "standard", "Core service standard"
    PATHWAY = "pathway", "Pathway (core service models and pathways framework)"


class VersionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ADOPTED = "adopted", "Adopted"
    SUPERSEDED = "superseded", "Superseded"
    NOT_ADOPTED = "not_adopted", "Not adopted"


class Standard(models.Model):
    care_stream = models.ForeignKey(CareStream, on_delete=models.PROTECT, related_name="standards")
    code = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=StandardKind.choices)

    class Meta:
        ordering = ["care_stream__order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["care_stream", "code"], name="standard_code_unique")
        ]

    def __str__(self) -> str:
        return self.title


class StandardVersion(models.Model):
    """A version of a standard or pathway: proposed to the senate, adopted by a carried motion
    (which supersedes the version before), never edited once proposed."""

    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    summary = models.TextField()
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.PROPOSED
    )
    effective_from = models.DateField(null=True, blank=True)
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["standard_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "number"], name="standard_version_unique"),
            models.UniqueConstraint(
                fields=["standard"],
                condition=Q(status="adopted"),
                name="standard_one_adopted_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.standard} v{self.number}"


class StandardElement(models.Model):
    """One element of a standard: mandatory in every locality ("no postcode lottery"), or
    flexible (a locality may adapt it and records how)."""

    version = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="elements")
    number = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=500)
    mandatory = models.BooleanField()

    class Meta:
        ordering = ["version_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="standard_element_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


class ElementAdoption(models.Model):
    """A locality's adoption of one element of an adopted standard, with its local variation
    (flexible elements only)."""

    element = models.ForeignKey(StandardElement, on_delete=models.PROTECT, related_name="adoptions")
    locality = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    adopted_on = models.DateField()
    variation = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["element_id", "locality__name"]
        constraints = [
            models.UniqueConstraint(fields=["element", "locality"], name="element_adoption_unique")
        ]

    def __str__(self) -> str:
        return f"{self.locality} adopted {self.element}"


# --- Versioned documents: the commissioning strategy plan, the Statement of Principles ---------


class DocumentKind(models.TextChoices):
    STRATEGY_PLAN = "strategy_plan", "Commissioning strategy plan"
    PRINCIPLES = "principles", "Statement of Principles"


class SenateDocument(models.Model):
    commissioner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["commissioner_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["commissioner", "kind"], name="senate_document_unique")
        ]

    def __str__(self) -> str:
        return self.title


class DocumentVersion(models.Model):
    document = models.ForeignKey(SenateDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    change_summary = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.PROPOSED
    )
    effective_from = models.DateField(null=True, blank=True)
    adopted_note = models.CharField(max_length=200, blank=True)  # for versions before the senate
    proposed_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_unique"),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status="adopted"),
                name="document_one_adopted_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


# --- Motions and votes --------------------------------------------------------------------------


class MotionKind(models.TextChoices):
    ALLOCATION = "allocation", "Approve a resource allocation model run"
    STANDARD = "standard", "Adopt or amend a core service standard or pathway"
    STRATEGY_PLAN = "strategy_plan", "Approve the commissioning strategy plan"
    PRINCIPLES = "principles", "Review the Statement of Principles"
    VIREMENT = (
        "virement",
        "Virement above the chief operating officer's limit or between localities",
    )
    GENERAL = "general", "General"


class MotionRule(models.TextChoices):
    SIMPLE_MAJORITY = "simple_majority", "Simple majority of votes cast (chair's casting vote)"
    SUPERMAJORITY = "supermajority", "Higher threshold of the voting members entitled to vote"


class MotionStatus(models.TextChoices):
    DRAFT = "draft", "Not yet open"
    OPEN = "open", "Vote open"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Result(models.TextChoices):
    CARRIED = "carried", "Carried"
    LOST = "lost", "Lost"


class Choice(models.TextChoices):
    FOR = "for", "For"
    AGAINST = "against", "Against"
    ABSTAIN = "abstain", "Abstain"


class Motion(models.Model):
    """A motion on an agenda item, typed by its consequence, with its result once closed.

    The result lives on this row; once `status` is closed a database trigger refuses any UPDATE.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="motions")
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="motions")
    number = models.PositiveSmallIntegerField()  # M1, M2 ... within the meeting
    kind = models.CharField(max_length=20, choices=MotionKind.choices)
    text = models.TextField()
    rule = models.CharField(max_length=20, choices=MotionRule.choices)
    threshold_numerator = models.PositiveSmallIntegerField(default=1)
    threshold_denominator = models.PositiveSmallIntegerField(default=2)
    model_run = models.ForeignKey(
        "budgets.ModelRun", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    virement = models.ForeignKey(
        "budgets.Virement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    standard_version = models.ForeignKey(
        StandardVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="motions"
    )
    document_version = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="motions"
    )
    status = models.CharField(
        max_length=20, choices=MotionStatus.choices, default=MotionStatus.DRAFT
    )
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    quorum = models.JSONField(null=True, blank=True)  # who counted when the vote opened
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(max_length=10, choices=Result.choices, blank=True)
    votes_for = models.PositiveSmallIntegerField(default=0)
    votes_against = models.PositiveSmallIntegerField(default=0)
    abstentions = models.PositiveSmallIntegerField(default=0)
    entitled_to_vote = models.PositiveSmallIntegerField(null=True, blank=True)
    casting_vote = models.CharField(max_length=10, choices=Choice.choices, blank=True)
    consequence = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["meeting_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="senate_motion_number"),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) & ~Q(result="")
                | ~Q(status="closed") & Q(result=""),
                name="senate_motion_result_iff_closed",
            ),
            models.CheckConstraint(
                condition=~Q(kind="allocation") | Q(model_run__isnull=False),
                name="senate_allocation_motion_has_run",
            ),
            models.CheckConstraint(
                condition=~Q(kind="virement") | Q(virement__isnull=False),
                name="senate_virement_motion_has_virement",
            ),
            models.CheckConstraint(
                condition=~Q(kind="standard") | Q(standard_version__isnull=False),
                name="senate_standard_motion_has_version",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["strategy_plan", "principles"])
                | Q(document_version__isnull=False),
                name="senate_document_motion_has_version",
            ),
            models.CheckConstraint(
                condition=Q(casting_vote__in=["", "for", "against"]),
                name="senate_casting_vote_for_or_against",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.text[:80]}"

    @property
    def reference(self) -> str:
        """The decision reference quoted in the ledger and the press: CS-2010-03-25/M1."""
        return f"{self.meeting.reference}/M{self.number}"


class VoteMethod(models.TextChoices):
    BROWSER = "browser", "Cast by the member in the browser"
    SHOW_OF_HANDS = "show_of_hands", "Show of hands, recorded by the secretary"


class Vote(models.Model):
    """One member's vote on one motion. Append-only; inserted only while the motion is open."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="votes")
    member = models.ForeignKey(SenateMembership, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    method = models.CharField(max_length=20, choices=VoteMethod.choices)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["motion_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["motion", "member"], name="senate_one_vote_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member.user}: {self.get_choice_display()} on {self.motion.reference}"
