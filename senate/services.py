"""Every write to the clinical senate: membership, rules, meetings, papers, attendance,
declarations, motions, votes and their consequences, standards, documents and adoption.

Each function is one use case in one transaction and audits itself (`senate.*` events). A carried
motion's consequence (posting allocations, approving a virement, adopting a standard or document)
happens in the same transaction as recording its result: both stand, or neither does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from budgets.allocation.services import model_run_approve, model_run_reject
from budgets.delegation.selectors import needs_senate, scheme_in_force
from budgets.delegation.services import virement_approve, virement_reject
from budgets.models import ModelRun, RunStatus, Virement, VirementStatus
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, Role, User
from consortia.money import format_money
from consortia.permissions import Action, can, require
from consortia.services import audit_record, notify

from .models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CareStream,
    Choice,
    Declaration,
    DocumentKind,
    DocumentVersion,
    ElementAdoption,
    Meeting,
    MeetingStatus,
    MemberKind,
    Motion,
    MotionKind,
    MotionRule,
    MotionStatus,
    Paper,
    Result,
    SenateDocument,
    SenateMembership,
    SenateRules,
    Standard,
    StandardElement,
    StandardKind,
    StandardVersion,
    VersionStatus,
    Vote,
    VoteMethod,
)
from .rules import simple_majority, supermajority
from .selectors import (
    in_force_q,
    item_standing,
    meeting_date,
    members_in_force,
    membership_of,
    rules_in_force,
)
from .validators import paper_content_type, validate_paper

EXECUTIVE_ROLES = (Role.EXECUTIVE_DIRECTOR,)


def _require_secretary(actor: User | None, commissioner: Organisation) -> None:
    """The senate secretary (RUN_SENATE) runs meetings; `None` is the demo loader (system)."""
    if actor is not None:
        require(actor, Action.RUN_SENATE, commissioner)


def _meeting_url(meeting: Meeting) -> str:
    return reverse("senate-meeting", args=[meeting.pk])


def _locked_meeting(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("commissioner").get(pk=meeting.pk)


# --- Membership and rules ---------------------------------------------------------------------


@transaction.atomic
def membership_add(
    *,
    actor: User | None,
    commissioner: Organisation,
    user: User,
    kind: str,
    title: str,
    starts_on: dt.date,
    locality: Organisation | None = None,
    actor_label: str = "",
) -> SenateMembership:
    """Seat a person on the senate from `starts_on`. Lead GPs and executive directors vote;
    co-opted clinicians (nurses, allied health professionals) attend without a vote. One seat
    per person at a time. Idempotent: the same open seat is returned."""
    _require_secretary(actor, commissioner)
    kind = MemberKind(kind)
    if kind == MemberKind.LEAD_GP and (
        locality is None or locality.kind != OrganisationKind.LOCALITY
    ):
        raise ApplicationError("A lead GP sits for a locality: choose it.", {"field": "locality"})
    existing = SenateMembership.objects.filter(
        commissioner=commissioner, user=user, ends_on__isnull=True
    ).first()
    if existing:
        if existing.kind == kind and existing.starts_on == starts_on:
            return existing
        raise ApplicationError(f"{user} already sits on the senate; end that seat first.")
    membership = SenateMembership.objects.create(
        commissioner=commissioner,
        user=user,
        kind=kind,
        title=title.strip(),
        locality=locality if kind == MemberKind.LEAD_GP else None,
        starts_on=starts_on,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.membership.added",
        subject=membership,
        organisation=commissioner,
        after={"user": user.get_username(), "kind": kind, "starts_on": starts_on.isoformat()},
    )
    return membership


@transaction.atomic
def membership_end(
    *, actor: User | None, membership: SenateMembership, ends_on: dt.date
) -> SenateMembership:
    """End a seat (kept for the record): `ends_on` is the first day it is no longer held."""
    _require_secretary(actor, membership.commissioner)
    if ends_on <= membership.starts_on:
        raise ApplicationError("A seat must end after it starts.", {"field": "ends_on"})
    membership.ends_on = ends_on
    membership.save(update_fields=["ends_on"])
    audit_record(
        actor=actor,
        event="senate.membership.ended",
        subject=membership,
        organisation=membership.commissioner,
        after={"ends_on": ends_on.isoformat()},
    )
    return membership


@transaction.atomic
def rules_set(
    *,
    actor: User | None,
    commissioner: Organisation,
    effective_from: dt.date,
    approved_by: str,
    quorum_lead_gps: int = 4,
    quorum_executives: int = 1,
    principles_numerator: int = 2,
    principles_denominator: int = 3,
    actor_label: str = "",
) -> SenateRules:
    """A new version of the standing rules (quorum, Principles threshold), from a date, naming
    the decision that set them. Idempotent for the same date and figures."""
    _require_secretary(actor, commissioner)
    if not approved_by.strip():
        raise ApplicationError("Name the decision that set these rules.", {"field": "approved_by"})
    if not 0 < principles_numerator <= principles_denominator:
        raise ApplicationError("The Principles threshold is a fraction no more than 1.")
    figures = {
        "quorum_lead_gps": quorum_lead_gps,
        "quorum_executives": quorum_executives,
        "principles_numerator": principles_numerator,
        "principles_denominator": principles_denominator,
    }
    existing = SenateRules.objects.filter(
        commissioner=commissioner, effective_from=effective_from
    ).first()
    if existing:
        if all(getattr(existing, k) == v for k, v in figures.items()):
            return existing
        raise ApplicationError(f"Rules from {effective_from} are already recorded.")
    rules = SenateRules.objects.create(
        commissioner=commissioner,
        effective_from=effective_from,
        approved_by=approved_by.strip(),
        **figures,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.rules.set",
        subject=rules,
        organisation=commissioner,
        after={**figures, "effective_from": effective_from.isoformat(), "approved_by": approved_by},
    )
    return rules


# --- Meetings, agenda, papers -------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    actor: User | None,
    commissioner: Organisation,
    title: str,
    starts_at: dt.datetime,
    chair: SenateMembership,
    location: str = "",
    actor_label: str = "",
) -> Meeting:
    """Schedule a meeting (a draft until published). The chair is a voting member in office on
    the day; the reference is the date (CS-2010-03-25, then -2, -3 for more that day)."""
    _require_secretary(actor, commissioner)
    if timezone.is_naive(starts_at):
        raise ApplicationError("Give the meeting time with its time zone.")
    on = timezone.localtime(starts_at).date()
    if not title.strip():
        raise ApplicationError("Give the meeting a title.", {"field": "title"})
    if (
        chair.commissioner_id != commissioner.pk
        or not chair.votes
        or not members_in_force(commissioner=commissioner, on=on).filter(pk=chair.pk).exists()
    ):
        raise ApplicationError(
            "The chair must be a voting member of the senate on the day of the meeting.",
            {"field": "chair"},
        )
    base = f"CS-{on.isoformat()}"
    taken = set(
        Meeting.objects.filter(commissioner=commissioner, reference__startswith=base).values_list(
            "reference", flat=True
        )
    )
    reference, n = base, 1
    while reference in taken:
        n += 1
        reference = f"{base}-{n}"
    meeting = Meeting.objects.create(
        commissioner=commissioner,
        reference=reference,
        title=title.strip(),
        starts_at=starts_at,
        location=location.strip(),
        chair=chair,
        created_by=actor or chair.user,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.meeting.created",
        subject=meeting,
        organisation=commissioner,
        after={"reference": reference, "starts_at": starts_at.isoformat(), "chair": str(chair)},
    )
    return meeting


@transaction.atomic
def agenda_item_add(
    *, actor: User | None, meeting: Meeting, title: str, description: str = "", actor_label=""
) -> AgendaItem:
    """Add an item at the end of the agenda (draft or published meetings)."""
    _require_secretary(actor, meeting.commissioner)
    meeting = _locked_meeting(meeting)
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED):
        raise ApplicationError("The agenda is fixed once the meeting is in session.")
    if not title.strip():
        raise ApplicationError("Give the item a title.", {"field": "title"})
    number = (meeting.items.aggregate(n=Max("number"))["n"] or 0) + 1
    item = AgendaItem.objects.create(
        meeting=meeting, number=number, title=title.strip(), description=description.strip()
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.item.added",
        subject=item,
        organisation=meeting.commissioner,
        after={"meeting": meeting.reference, "number": number, "title": item.title},
    )
    return item


@transaction.atomic
def paper_attach(
    *, actor: User | None, item: AgendaItem, title: str, file, actor_label: str = ""
) -> Paper:
    """Attach a paper to an item: a genuine PDF, DOCX, XLSX or ODT of at most 10 MB, stored
    under a random name and served only through the papers view."""
    meeting = item.meeting
    _require_secretary(actor, meeting.commissioner)
    if meeting.status == MeetingStatus.CLOSED:
        raise ApplicationError("The meeting is closed: its papers are part of the record.")
    try:
        validate_paper(file)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0], {"field": "file"}) from exc
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(64 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    original = str(getattr(file, "name", "paper")).rsplit("/", 1)[-1][:200]
    paper = Paper(
        item=item,
        title=(title.strip() or original)[:200],
        original_name=original,
        content_type=paper_content_type(original),
        size=file.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor or meeting.created_by,
    )
    paper.file.save(original, file, save=False)
    paper.save()
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.paper.attached",
        subject=paper,
        organisation=meeting.commissioner,
        after={"item": str(item), "file": original, "size": paper.size, "sha256": paper.sha256},
    )
    return paper


def _members_to_tell(meeting: Meeting) -> list[User]:
    return [
        m.user
        for m in members_in_force(commissioner=meeting.commissioner, on=meeting_date(meeting))
    ]


@transaction.atomic
def meeting_publish(*, actor: User | None, meeting: Meeting, actor_label: str = "") -> Meeting:
    """Publish the agenda and papers: the meeting becomes public and members are told."""
    _require_secretary(actor, meeting.commissioner)
    meeting = _locked_meeting(meeting)
    if meeting.status != MeetingStatus.DRAFT:
        raise ApplicationError(f"The meeting is already {meeting.get_status_display().lower()}.")
    if not meeting.items.exists():
        raise ApplicationError("Add at least one agenda item before publishing.")
    meeting.status = MeetingStatus.PUBLISHED
    meeting.published_at = timezone.now()
    meeting.save(update_fields=["status", "published_at"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.meeting.published",
        subject=meeting,
        organisation=meeting.commissioner,
        before={"status": MeetingStatus.DRAFT},
        after={"status": meeting.status},
    )
    when = timezone.localtime(meeting.starts_at)
    notify(
        users=_members_to_tell(meeting),
        subject=f"Senate papers published: {meeting.title}",
        body=f"The agenda and papers for {meeting.title} on {when:%-d %B %Y at %H:%M} are "
        "published. Declare any interest in an item before its vote opens.",
        url=_meeting_url(meeting),
    )
    return meeting


@transaction.atomic
def meeting_open(*, actor: User | None, meeting: Meeting, actor_label: str = "") -> Meeting:
    """Open the meeting: it is in session and the secretary can take attendance and votes."""
    _require_secretary(actor, meeting.commissioner)
    meeting = _locked_meeting(meeting)
    if meeting.status != MeetingStatus.PUBLISHED:
        raise ApplicationError("Publish the meeting's agenda and papers before opening it.")
    meeting.status = MeetingStatus.IN_SESSION
    meeting.opened_at = timezone.now()
    meeting.save(update_fields=["status", "opened_at"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.meeting.opened",
        subject=meeting,
        organisation=meeting.commissioner,
        before={"status": MeetingStatus.PUBLISHED},
        after={"status": meeting.status},
    )
    return meeting


@transaction.atomic
def meeting_close(*, actor: User | None, meeting: Meeting, actor_label: str = "") -> Meeting:
    """Close the meeting; every motion must be closed or withdrawn first."""
    _require_secretary(actor, meeting.commissioner)
    meeting = _locked_meeting(meeting)
    if meeting.status != MeetingStatus.IN_SESSION:
        raise ApplicationError("Only a meeting in session can be closed.")
    pending = list(
        meeting.motions.filter(status__in=[MotionStatus.DRAFT, MotionStatus.OPEN]).order_by(
            "number"
        )
    )
    if pending:
        refs = ", ".join(f"M{m.number}" for m in pending)
        raise ApplicationError(f"Close or withdraw {refs} before closing the meeting.")
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = timezone.now()
    meeting.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.meeting.closed",
        subject=meeting,
        organisation=meeting.commissioner,
        before={"status": MeetingStatus.IN_SESSION},
        after={"status": meeting.status},
    )
    return meeting


@transaction.atomic
def attendance_record(
    *,
    actor: User | None,
    meeting: Meeting,
    member: SenateMembership,
    status: str,
    actor_label: str = "",
) -> Attendance:
    """Record a member present or sending apologies (published or in-session meetings)."""
    _require_secretary(actor, meeting.commissioner)
    meeting = _locked_meeting(meeting)
    status = AttendanceStatus(status)
    if meeting.status not in (MeetingStatus.PUBLISHED, MeetingStatus.IN_SESSION):
        raise ApplicationError("Attendance is recorded for a published meeting or one in session.")
    on = meeting_date(meeting)
    if not members_in_force(commissioner=meeting.commissioner, on=on).filter(pk=member.pk).exists():
        raise ApplicationError(f"{member.user} is not a member of the senate on {on:%-d %B %Y}.")
    attendance = Attendance.objects.filter(meeting=meeting, member=member).first()
    before = {"status": attendance.status} if attendance else None
    if attendance and attendance.status == status:
        return attendance
    if attendance:
        attendance.status = status
        attendance.recorded_by = actor or meeting.created_by
        attendance.save(update_fields=["status", "recorded_by", "recorded_at"])
    else:
        attendance = Attendance.objects.create(
            meeting=meeting, member=member, status=status, recorded_by=actor or meeting.created_by
        )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.attendance.recorded",
        subject=attendance,
        organisation=meeting.commissioner,
        before=before,
        after={"member": str(member), "status": status},
    )
    return attendance


@transaction.atomic
def declaration_record(
    *,
    actor: User | None,
    item: AgendaItem,
    member: SenateMembership,
    interest: str,
    actor_label: str = "",
) -> Declaration:
    """A member declares an interest in an item (themselves, or the secretary for them).

    From then on they cannot vote on the item and do not count toward its quorum. Declarations
    are taken until a vote on the item opens, and never withdrawn (the record says so).
    """
    meeting = item.meeting
    if actor is not None and actor.pk != member.user_id:
        require(actor, Action.RUN_SENATE, meeting.commissioner)
    meeting = _locked_meeting(meeting)
    if meeting.status not in (MeetingStatus.PUBLISHED, MeetingStatus.IN_SESSION):
        raise ApplicationError("Interests are declared once the agenda is published.")
    if not interest.strip():
        raise ApplicationError("Say what the interest is.", {"field": "interest"})
    on = meeting_date(meeting)
    if not members_in_force(commissioner=meeting.commissioner, on=on).filter(pk=member.pk).exists():
        raise ApplicationError(f"{member.user} is not a member of the senate on {on:%-d %B %Y}.")
    if item.motions.filter(status__in=[MotionStatus.OPEN, MotionStatus.CLOSED]).exists():
        raise ApplicationError(
            "A vote on this item has already opened: declarations are made before it opens. "
            "Tell the secretary, who will minute it."
        )
    if Declaration.objects.filter(item=item, member=member).exists():
        raise ApplicationError(f"{member.user} has already declared an interest in this item.")
    declaration = Declaration.objects.create(
        item=item, member=member, interest=interest.strip(), recorded_by=actor or member.user
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.declaration.recorded",
        subject=declaration,
        organisation=meeting.commissioner,
        after={"item": str(item), "member": str(member), "interest": declaration.interest},
    )
    return declaration


# --- Standards, pathways and documents ----------------------------------------------------------


@transaction.atomic
def care_stream_create(
    *,
    actor: User | None,
    commissioner: Organisation,
    code: str,
    name: str,
    order: int = 0,
    actor_label: str = "",
) -> CareStream:
    """A care stream board (idempotent by code)."""
    _require_secretary(actor, commissioner)
    stream, created = CareStream.objects.get_or_create(
        commissioner=commissioner, code=code, defaults={"name": name, "order": order}
    )
    if created:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event="senate.care_stream.created",
            subject=stream,
            organisation=commissioner,
            after={"code": code, "name": name},
        )
    return stream


@transaction.atomic
def standard_version_propose(
    *,
    actor: User | None,
    care_stream: CareStream,
    code: str,
    title: str,
    kind: str,
    summary: str,
    elements: Sequence[tuple[str, bool]],
    proposer: User | None = None,
    actor_label: str = "",
) -> StandardVersion:
    """Propose a new standard or pathway, or a new version of one (an amendment), from its care
    stream board: each element is (text, mandatory). It takes effect when a motion carries."""
    _require_secretary(actor, care_stream.commissioner)
    kind = StandardKind(kind)
    elements = [(text.strip(), bool(mandatory)) for text, mandatory in elements if text.strip()]
    if not elements:
        raise ApplicationError("A standard needs at least one element.", {"field": "elements"})
    if not any(mandatory for _, mandatory in elements):
        raise ApplicationError(
            "Mark at least one element mandatory in every locality.", {"field": "elements"}
        )
    if not code.strip() or not title.strip():
        raise ApplicationError("Give the standard a code and a title.", {"field": "code"})
    standard, created = Standard.objects.get_or_create(
        care_stream=care_stream,
        code=code.strip().upper(),
        defaults={"title": title.strip(), "kind": kind},
    )
    if standard.versions.filter(status=VersionStatus.PROPOSED).exists():
        raise ApplicationError(
            f"{standard} already has a proposed version awaiting the senate; decide it first."
        )
    number = (standard.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = StandardVersion.objects.create(
        standard=standard,
        number=number,
        summary=summary.strip(),
        proposed_by=actor or proposer,
    )
    StandardElement.objects.bulk_create(
        StandardElement(version=version, number=i, text=text[:500], mandatory=mandatory)
        for i, (text, mandatory) in enumerate(elements, start=1)
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.standard.proposed",
        subject=version,
        organisation=care_stream.commissioner,
        after={
            "standard": standard.code,
            "version": number,
            "elements": [{"text": t, "mandatory": m} for t, m in elements],
        },
    )
    return version


@transaction.atomic
def document_version_propose(
    *,
    actor: User | None,
    commissioner: Organisation,
    kind: str,
    text: str,
    change_summary: str = "",
    title: str = "",
    actor_label: str = "",
) -> DocumentVersion:
    """Propose a new version of the commissioning strategy plan or the Statement of Principles."""
    _require_secretary(actor, commissioner)
    kind = DocumentKind(kind)
    if not text.strip():
        raise ApplicationError("The document needs its text.", {"field": "text"})
    document, _ = SenateDocument.objects.get_or_create(
        commissioner=commissioner, kind=kind, defaults={"title": title or kind.label}
    )
    if document.versions.filter(status=VersionStatus.PROPOSED).exists():
        raise ApplicationError(f"{document} already has a proposed version awaiting the senate.")
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = DocumentVersion.objects.create(
        document=document,
        number=number,
        text=text.strip(),
        change_summary=change_summary.strip(),
        proposed_by=actor,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.document.proposed",
        subject=version,
        organisation=commissioner,
        after={"document": kind, "version": number, "change_summary": version.change_summary},
    )
    return version


@transaction.atomic
def document_version_record_adopted(
    *,
    commissioner: Organisation,
    kind: str,
    text: str,
    effective_from: dt.date,
    adopted_note: str,
    actor_label: str,
) -> DocumentVersion:
    """Record a version adopted before these records began (the demo's first Statement of
    Principles). System only; idempotent."""
    kind = DocumentKind(kind)
    document, _ = SenateDocument.objects.get_or_create(
        commissioner=commissioner, kind=kind, defaults={"title": kind.label}
    )
    existing = document.versions.filter(number=1).first()
    if existing:
        return existing
    version = DocumentVersion.objects.create(
        document=document,
        number=1,
        text=text.strip(),
        status=VersionStatus.ADOPTED,
        effective_from=effective_from,
        adopted_note=adopted_note,
    )
    audit_record(
        actor=None,
        actor_label=actor_label,
        event="senate.document.recorded",
        subject=version,
        organisation=commissioner,
        after={"document": kind, "version": 1, "adopted_note": adopted_note},
    )
    return version


@transaction.atomic
def adoption_record(
    *,
    actor: User,
    locality: Organisation,
    version: StandardVersion,
    elements: dict[int, str],
    adopted_on: dt.date | None = None,
) -> list[ElementAdoption]:
    """A locality records which elements of an adopted standard it has adopted, with its local
    variation of each flexible element (`elements`: element id -> variation, blank for none).

    Mandatory elements are adopted as written: they carry no local variation.
    """
    require(actor, Action.ADOPT_STANDARD, locality)
    version = StandardVersion.objects.get(pk=version.pk)  # its status as decided, not as passed
    if locality.kind != OrganisationKind.LOCALITY:
        raise ApplicationError("Adoption is recorded by a locality.")
    if version.status != VersionStatus.ADOPTED:
        raise ApplicationError(
            "Only a standard the senate has adopted (the version in force) can be adopted locally."
        )
    by_id = {e.pk: e for e in version.elements.all()}
    unknown = set(elements) - set(by_id)
    if unknown:
        raise ApplicationError("Some elements are not part of this standard.")
    if not elements:
        raise ApplicationError("Choose the elements your locality has adopted.")
    saved = []
    for element_id, variation in elements.items():
        element = by_id[element_id]
        variation = (variation or "").strip()
        if element.mandatory and variation:
            raise ApplicationError(
                f"Element {element.number} is mandatory in every locality: it is adopted as "
                "written, without a local variation.",
                {"field": f"variation_{element.pk}"},
            )
        adoption = ElementAdoption.objects.filter(element=element, locality=locality).first()
        before = {"variation": adoption.variation} if adoption else None
        if adoption and adoption.variation == variation:
            saved.append(adoption)
            continue
        if adoption:
            adoption.variation = variation
            adoption.recorded_by = actor
            adoption.save(update_fields=["variation", "recorded_by", "recorded_at"])
        else:
            adoption = ElementAdoption.objects.create(
                element=element,
                locality=locality,
                adopted_on=adopted_on or timezone.localdate(),
                variation=variation,
                recorded_by=actor,
            )
        audit_record(
            actor=actor,
            event="senate.adoption.recorded",
            subject=adoption,
            organisation=locality,
            before=before,
            after={
                "standard": str(version),
                "element": element.number,
                "mandatory": element.mandatory,
                "variation": variation,
            },
        )
        saved.append(adoption)
    return saved


# --- Motions and votes ---------------------------------------------------------------------------


def _validate_payload(
    *,
    kind: MotionKind,
    commissioner: Organisation,
    model_run: ModelRun | None,
    virement: Virement | None,
    standard_version: StandardVersion | None,
    document_version: DocumentVersion | None,
) -> None:
    if kind == MotionKind.ALLOCATION:
        if model_run is None or model_run.commissioner_id != commissioner.pk:
            raise ApplicationError(
                "Choose the allocation model run to approve.", {"field": "model_run"}
            )
        if model_run.status != RunStatus.PROPOSED:
            raise ApplicationError(
                f"{model_run} is {model_run.get_status_display().lower()}, not awaiting approval.",
                {"field": "model_run"},
            )
    if kind == MotionKind.VIREMENT:
        if virement is None or virement.source.line.commissioner_id != commissioner.pk:
            raise ApplicationError("Choose the virement to decide.", {"field": "virement"})
        if virement.status != VirementStatus.REQUESTED:
            raise ApplicationError("That virement is already decided.", {"field": "virement"})
        scheme = scheme_in_force(commissioner)
        coo_limit = int(scheme.limits.get(Role.CHIEF_OPERATING_OFFICER, 0)) if scheme else 0
        if not needs_senate(virement) and virement.amount <= coo_limit:
            raise ApplicationError(
                f"This virement is within the chief operating officer's limit of "
                f"{format_money(coo_limit)} and one locality: it does not need the senate.",
                {"field": "virement"},
            )
    if kind == MotionKind.STANDARD:
        if standard_version is None or standard_version.status != VersionStatus.PROPOSED:
            raise ApplicationError(
                "Choose a proposed standard or pathway version.", {"field": "standard_version"}
            )
        if standard_version.standard.care_stream.commissioner_id != commissioner.pk:
            raise ApplicationError("That standard belongs to another commissioner.")
    if kind in (MotionKind.STRATEGY_PLAN, MotionKind.PRINCIPLES):
        expected = (
            DocumentKind.STRATEGY_PLAN
            if kind == MotionKind.STRATEGY_PLAN
            else DocumentKind.PRINCIPLES
        )
        if (
            document_version is None
            or document_version.document.kind != expected
            or document_version.status != VersionStatus.PROPOSED
            or document_version.document.commissioner_id != commissioner.pk
        ):
            raise ApplicationError(
                f"Choose a proposed version of the {expected.label}.",
                {"field": "document_version"},
            )


@transaction.atomic
def motion_propose(
    *,
    actor: User | None,
    item: AgendaItem,
    kind: str,
    text: str,
    model_run: ModelRun | None = None,
    virement: Virement | None = None,
    standard_version: StandardVersion | None = None,
    document_version: DocumentVersion | None = None,
    actor_label: str = "",
) -> Motion:
    """Put a motion on an item. Its kind fixes its consequence and its rule: the Statement of
    Principles needs the higher threshold in the rules in force; everything else a simple
    majority of votes cast."""
    meeting = item.meeting
    _require_secretary(actor, meeting.commissioner)
    meeting = _locked_meeting(meeting)
    if meeting.status == MeetingStatus.CLOSED:
        raise ApplicationError("The meeting is closed.")
    kind = MotionKind(kind)
    if not text.strip():
        raise ApplicationError("Write the motion as it will be put to the vote.", {"field": "text"})
    _validate_payload(
        kind=kind,
        commissioner=meeting.commissioner,
        model_run=model_run,
        virement=virement,
        standard_version=standard_version,
        document_version=document_version,
    )
    rules = rules_in_force(commissioner=meeting.commissioner, on=meeting_date(meeting))
    if kind == MotionKind.PRINCIPLES:
        rule, num, den = (
            MotionRule.SUPERMAJORITY,
            rules.principles_numerator,
            rules.principles_denominator,
        )
    else:
        rule, num, den = MotionRule.SIMPLE_MAJORITY, 1, 2
    number = (meeting.motions.aggregate(n=Max("number"))["n"] or 0) + 1
    motion = Motion.objects.create(
        meeting=meeting,
        item=item,
        number=number,
        kind=kind,
        text=text.strip(),
        rule=rule,
        threshold_numerator=num,
        threshold_denominator=den,
        model_run=model_run if kind == MotionKind.ALLOCATION else None,
        virement=virement if kind == MotionKind.VIREMENT else None,
        standard_version=standard_version if kind == MotionKind.STANDARD else None,
        document_version=document_version
        if kind in (MotionKind.STRATEGY_PLAN, MotionKind.PRINCIPLES)
        else None,
        proposed_by=actor or meeting.created_by,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.motion.proposed",
        subject=motion,
        organisation=meeting.commissioner,
        after={"reference": motion.reference, "kind": kind, "rule": rule, "text": motion.text},
    )
    return motion


def _locked_motion(motion: Motion) -> Motion:
    return (
        Motion.objects.select_for_update()
        .select_related("meeting__commissioner", "item")
        .get(pk=motion.pk)
    )


@transaction.atomic
def motion_withdraw(*, actor: User | None, motion: Motion) -> Motion:
    """Withdraw a motion before its vote opens."""
    _require_secretary(actor, motion.meeting.commissioner)
    motion = _locked_motion(motion)
    if motion.status != MotionStatus.DRAFT:
        raise ApplicationError("Only a motion whose vote has not opened can be withdrawn.")
    motion.status = MotionStatus.WITHDRAWN
    motion.save(update_fields=["status"])
    audit_record(
        actor=actor,
        event="senate.motion.withdrawn",
        subject=motion,
        organisation=motion.meeting.commissioner,
        before={"status": MotionStatus.DRAFT},
        after={"status": motion.status},
    )
    return motion


@transaction.atomic
def motion_open(*, actor: User | None, motion: Motion, actor_label: str = "") -> Motion:
    """Open the vote. Refused without quorum on this item (members who declared an interest do
    not count). Members who may vote are told."""
    _require_secretary(actor, motion.meeting.commissioner)
    motion = _locked_motion(motion)
    meeting = motion.meeting
    if meeting.status != MeetingStatus.IN_SESSION:
        raise ApplicationError("Open the meeting before opening a vote.")
    if motion.status != MotionStatus.DRAFT:
        raise ApplicationError(f"The vote on {motion.reference} has already opened.")
    standing = item_standing(item=motion.item)
    if not standing.quorum.met:
        raise ApplicationError(
            f"The senate is not quorate for this item: {standing.quorum.explanation}. "
            "Record attendance, or wait for members to arrive.",
            {"quorum": standing.snapshot()},
        )
    motion.status = MotionStatus.OPEN
    motion.opened_at = timezone.now()
    motion.quorum = standing.snapshot()
    motion.save(update_fields=["status", "opened_at", "quorum"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.motion.opened",
        subject=motion,
        organisation=meeting.commissioner,
        before={"status": MotionStatus.DRAFT},
        after={"status": motion.status, "quorum": motion.quorum},
    )
    notify(
        users=[m.user for m in standing.eligible],
        subject=f"Vote open: {motion.reference}",
        body=f"{motion.text}\n\nVote for, against or abstain while the vote is open.",
        url=_meeting_url(meeting),
    )
    return motion


def _insert_vote(*, motion: Motion, member: SenateMembership, choice: str, method: str,
                 recorded_by: User) -> Vote:  # fmt: skip
    """Insert the vote; the database refuses a second vote by the member (unique) and any vote
    on a motion that is not open (trigger). Both refusals are said in words."""
    try:
        with transaction.atomic():
            return Vote.objects.create(
                motion=motion, member=member, choice=choice, method=method, recorded_by=recorded_by
            )
    except IntegrityError as exc:
        if Vote.objects.filter(motion=motion, member=member).exists():
            raise ApplicationError(
                f"{member.user} has already voted on {motion.reference}; a vote cannot be changed."
            ) from exc
        raise ApplicationError(f"The vote on {motion.reference} is not open.") from exc


def _check_may_vote(motion: Motion, member: SenateMembership | None) -> SenateMembership:
    if motion.status != MotionStatus.OPEN:
        raise ApplicationError(f"The vote on {motion.reference} is not open.")
    standing = item_standing(item=motion.item)
    if member is None or not member.votes:
        raise PermissionDenied("Only voting members of the senate vote.")
    if member.pk in standing.declared_ids:
        raise ApplicationError(
            f"{member.user} declared an interest in this item and cannot vote on it."
        )
    if member.pk not in standing.present_ids:
        raise ApplicationError(
            f"{member.user} is not recorded as present: the secretary records attendance first."
        )
    return member


@transaction.atomic
def vote_cast(*, actor: User, motion: Motion, choice: str) -> Vote:
    """A voting member casts their own vote in the browser while the vote is open."""
    choice = Choice(choice)
    meeting = motion.meeting
    member = membership_of(user=actor, commissioner=meeting.commissioner, on=meeting_date(meeting))
    motion = Motion.objects.select_related("meeting__commissioner", "item").get(pk=motion.pk)
    _check_may_vote(motion, member)
    vote = _insert_vote(
        motion=motion, member=member, choice=choice, method=VoteMethod.BROWSER, recorded_by=actor
    )
    audit_record(
        actor=actor,
        event="senate.vote.cast",
        subject=vote,
        organisation=meeting.commissioner,
        after={"motion": motion.reference, "member": str(member), "choice": choice,
               "method": VoteMethod.BROWSER},
    )  # fmt: skip
    return vote


@transaction.atomic
def vote_record(
    *,
    actor: User | None,
    motion: Motion,
    member: SenateMembership,
    choice: str,
    actor_label: str = "",
) -> Vote:
    """The secretary records a member's vote from a show of hands in the room."""
    _require_secretary(actor, motion.meeting.commissioner)
    choice = Choice(choice)
    motion = Motion.objects.select_related("meeting__commissioner", "item").get(pk=motion.pk)
    _check_may_vote(motion, member)
    vote = _insert_vote(
        motion=motion,
        member=member,
        choice=choice,
        method=VoteMethod.SHOW_OF_HANDS,
        recorded_by=actor or motion.meeting.created_by,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.vote.recorded",
        subject=vote,
        organisation=motion.meeting.commissioner,
        after={"motion": motion.reference, "member": str(member), "choice": choice,
               "method": VoteMethod.SHOW_OF_HANDS},
    )  # fmt: skip
    return vote


def decision_label(motion: Motion) -> str:
    """How the ledger and the budgets records name the senate's decision."""
    return f"Clinical senate decision {motion.reference}"


def _apply_consequence(*, motion: Motion, carried: bool, actor: User | None, on: dt.date) -> str:
    """Do what the motion's kind says its result does; say what was done, for the record."""
    decision = decision_label(motion)
    if motion.kind == MotionKind.ALLOCATION:
        run = motion.model_run
        if carried:
            txn = model_run_approve(
                run=run,
                actor=actor,
                senate_decision=decision,
                actor_label="" if actor else "clinical senate",
            )
            total = sum(leg.amount for leg in txn.legs.all() if leg.amount > 0)
            return f"{run} approved: {format_money(total)} posted to the ledger (transaction #{txn.pk})."
        model_run_reject(
            run=run,
            actor=actor,
            reason="The motion to approve it was lost.",
            senate_decision=decision,
        )
        return f"{run} not approved: nothing posted."
    if motion.kind == MotionKind.VIREMENT:
        virement = motion.virement
        if carried:
            txn = virement_approve(virement=virement, actor=actor, senate_decision=decision)
            return f"Virement #{virement.pk} of {format_money(virement.amount)} approved and posted (transaction #{txn.pk})."
        virement_reject(
            virement=virement, actor=actor, reason="The motion to approve it was lost.",
            senate_decision=decision,
        )  # fmt: skip
        return f"Virement #{virement.pk} rejected: nothing posted."
    if motion.kind == MotionKind.STANDARD:
        return _version_decide(motion.standard_version, carried, on, motion, "standard")
    if motion.kind in (MotionKind.STRATEGY_PLAN, MotionKind.PRINCIPLES):
        return _version_decide(motion.document_version, carried, on, motion, "document")
    return ""


def _version_decide(version, carried: bool, on: dt.date, motion: Motion, what: str) -> str:
    model = type(version)
    version = model.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.PROPOSED:
        raise ApplicationError(f"{version} is no longer awaiting a decision.")
    if not carried:
        version.status = VersionStatus.NOT_ADOPTED
        version.save(update_fields=["status"])
        return f"{version} not adopted."
    parent = {"standard": "standard", "document": "document"}[what]
    model.objects.filter(
        **{parent: getattr(version, f"{parent}_id")}, status=VersionStatus.ADOPTED
    ).update(status=VersionStatus.SUPERSEDED)
    version.status = VersionStatus.ADOPTED
    version.effective_from = on
    version.save(update_fields=["status", "effective_from"])
    audit_record(
        actor=None,
        actor_label="clinical senate",
        event=f"senate.{what}.adopted",
        subject=version,
        organisation=motion.meeting.commissioner,
        before={"status": VersionStatus.PROPOSED},
        after={"status": VersionStatus.ADOPTED, "decision": motion.reference},
    )
    return f"{version} adopted, in force from {on:%-d %B %Y}."


@transaction.atomic
def motion_close(
    *, actor: User | None, motion: Motion, casting_vote: str = "", actor_label: str = ""
) -> Motion:
    """Close the vote, compute the result by the motion's rule and carry out its consequence,
    all in one transaction. Afterwards the database refuses any change to the motion or votes.

    A tie under simple majority needs the chair's casting vote (`casting_vote`), if the chair is
    present and free of a declared interest; otherwise the motion falls.
    """
    _require_secretary(actor, motion.meeting.commissioner)
    motion = _locked_motion(motion)  # waits for votes being cast; later votes see it closed
    meeting = motion.meeting
    if motion.status != MotionStatus.OPEN:
        raise ApplicationError(f"The vote on {motion.reference} is not open.")
    votes = list(motion.votes.all())
    counts = {c: sum(1 for v in votes if v.choice == c) for c in Choice.values}
    standing = item_standing(item=motion.item)
    if motion.rule == MotionRule.SUPERMAJORITY:
        if casting_vote:
            raise ApplicationError("A higher-threshold motion has no casting vote.")
        outcome = supermajority(
            votes_for=counts[Choice.FOR],
            entitled=len(standing.entitled),
            numerator=motion.threshold_numerator,
            denominator=motion.threshold_denominator,
        )
    else:
        tie = counts[Choice.FOR] == counts[Choice.AGAINST]
        chair_may_cast = bool(meeting.chair_id) and standing.may_vote(meeting.chair)
        if casting_vote and not (tie and chair_may_cast):
            raise ApplicationError(
                "There is no tie the chair can break: no casting vote is needed."
                if not tie
                else "The chair is absent or declared an interest: there is no casting vote."
            )
        if tie and chair_may_cast and casting_vote not in (Choice.FOR, Choice.AGAINST):
            raise ApplicationError(
                f"The vote is tied {counts[Choice.FOR]} to {counts[Choice.AGAINST]}: record the "
                f"chair's ({meeting.chair.user}) casting vote, for or against.",
                {"field": "casting_vote"},
            )
        outcome = simple_majority(
            votes_for=counts[Choice.FOR],
            votes_against=counts[Choice.AGAINST],
            casting_vote=casting_vote,
            chair_may_cast=chair_may_cast,
        )
    consequence = _apply_consequence(
        motion=motion, carried=outcome.carried, actor=actor, on=meeting_date(meeting)
    )
    motion.status = MotionStatus.CLOSED
    motion.closed_at = timezone.now()
    motion.closed_by = actor
    motion.result = Result.CARRIED if outcome.carried else Result.LOST
    motion.votes_for = counts[Choice.FOR]
    motion.votes_against = counts[Choice.AGAINST]
    motion.abstentions = counts[Choice.ABSTAIN]
    motion.entitled_to_vote = len(standing.entitled)
    motion.casting_vote = casting_vote
    motion.consequence = " ".join(filter(None, [outcome.note, consequence]))[:500]
    motion.save()
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="senate.motion.closed",
        subject=motion,
        organisation=meeting.commissioner,
        before={"status": MotionStatus.OPEN},
        after={
            "status": motion.status,
            "result": motion.result,
            "for": motion.votes_for,
            "against": motion.votes_against,
            "abstentions": motion.abstentions,
            "entitled": motion.entitled_to_vote,
            "casting_vote": casting_vote,
            "consequence": motion.consequence,
        },
    )
    notify(
        users=_members_to_tell(meeting),
        subject=f"{motion.reference} {motion.get_result_display().lower()}",
        body=f"{motion.text}\n\n{motion.consequence}",
        url=reverse("senate-register") + f"?meeting={meeting.reference}",
    )
    return motion


def members_seed_from_roles(
    *, commissioner: Organisation, starts_on: dt.date, actor_label: str
) -> list[SenateMembership]:
    """Seat every locality lead GP and PCT executive director who holds that role today (demo
    and first set-up). System only; idempotent."""
    from consortia.models import RoleAssignment

    seats = []
    today = timezone.localdate()
    assignments = (
        RoleAssignment.objects.filter(
            role__in=[Role.LOCALITY_LEAD, *EXECUTIVE_ROLES],
            organisation__path__startswith=commissioner.path,
        )
        .filter(in_force_q(today))
        .select_related("user", "organisation")
        .order_by("role", "organisation__name")
    )
    for assignment in assignments:
        lead = assignment.role == Role.LOCALITY_LEAD
        seats.append(
            membership_add(
                actor=None,
                actor_label=actor_label,
                commissioner=commissioner,
                user=assignment.user,
                kind=MemberKind.LEAD_GP if lead else MemberKind.EXECUTIVE_DIRECTOR,
                title=f"Lead GP, {assignment.organisation.name}"
                if lead
                else Role(assignment.role).label,
                locality=assignment.organisation if lead else None,
                starts_on=starts_on,
            )
        )
    return seats


def may_record_adoption(user: User, locality: Organisation) -> bool:
    return can(user, Action.ADOPT_STANDARD, locality)


@transaction.atomic
def attendance_record_many(
    *, actor: User | None, meeting: Meeting, statuses: dict[SenateMembership, str]
) -> list[Attendance]:
    """Record the attendance of several members at once (the secretary's roll call)."""
    return [
        attendance_record(actor=actor, meeting=meeting, member=member, status=status)
        for member, status in statuses.items()
    ]


@transaction.atomic
def votes_record_show_of_hands(
    *, actor: User | None, motion: Motion, choices: dict[SenateMembership, str]
) -> list[Vote]:
    """Record a show of hands: every member's vote, or none of them."""
    if not choices:
        raise ApplicationError("Record at least one member's vote.")
    return [
        vote_record(actor=actor, motion=motion, member=member, choice=choice)
        for member, choice in choices.items()
    ]
