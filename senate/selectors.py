"""Reads with a rule: who sits on the senate, who may vote on an item, quorum, what a person
may see, the public decision register, what needs a member's attention, standards compliance.

Every list here runs a fixed number of queries whatever the number of meetings or votes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import Action, can, grants_for

from .models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CareStream,
    Declaration,
    ElementAdoption,
    Meeting,
    MeetingStatus,
    MemberKind,
    Motion,
    MotionStatus,
    Paper,
    SenateDocument,
    SenateMembership,
    SenateRules,
    StandardElement,
    StandardVersion,
    VersionStatus,
    Vote,
)
from .rules import QuorumCheck, quorum_check

# --- Rules and membership ---------------------------------------------------------------------


@dataclass(frozen=True)
class RulesInForce:
    quorum_lead_gps: int = 4
    quorum_executives: int = 1
    principles_numerator: int = 2
    principles_denominator: int = 3
    approved_by: str = "Default standing rules (no senate rules recorded)"
    effective_from: dt.date | None = None


def rules_in_force(*, commissioner: Organisation, on: dt.date) -> RulesInForce:
    """The senate's standing rules in force on `on` (the defaults if none are recorded)."""
    rules = SenateRules.objects.filter(commissioner=commissioner, effective_from__lte=on).first()
    if rules is None:
        return RulesInForce()
    return RulesInForce(
        rules.quorum_lead_gps,
        rules.quorum_executives,
        rules.principles_numerator,
        rules.principles_denominator,
        rules.approved_by,
        rules.effective_from,
    )


def meeting_date(meeting: Meeting) -> dt.date:
    """The day a meeting sits (local time): membership and rules are taken as on that day."""
    return timezone.localtime(meeting.starts_at).date()


def in_force_q(on: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_on__lte": on}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gt": on})
    )


def members_in_force(*, commissioner: Organisation, on: dt.date) -> QuerySet[SenateMembership]:
    return (
        SenateMembership.objects.filter(commissioner=commissioner)
        .filter(in_force_q(on))
        .select_related("user", "locality")
        .order_by("kind", "user__last_name", "user__first_name")
    )


def membership_of(
    *, user: User, commissioner: Organisation, on: dt.date
) -> SenateMembership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return members_in_force(commissioner=commissioner, on=on).filter(user=user).first()


def may_run_senate(*, user: User, commissioner: Organisation) -> bool:
    return can(user, Action.RUN_SENATE, commissioner)


def senate_commissioners_run_by(*, user: User) -> list[Organisation]:
    codes = {g.path.strip("/").split("/")[0] for g in grants_for(user, Action.RUN_SENATE)}
    return list(Organisation.objects.filter(code__in=codes, kind=OrganisationKind.COMMISSIONER))


def senate_commissioner_for(*, user: User) -> Organisation | None:
    """The commissioner whose senate a person serves (as secretary or member), if any."""
    run = senate_commissioners_run_by(user=user)
    if run:
        return run[0]
    membership = (
        SenateMembership.objects.filter(user=user)
        .filter(in_force_q(timezone.localdate()))
        .select_related("commissioner")
        .first()
    )
    return membership.commissioner if membership else None


# --- Who counts on an item ---------------------------------------------------------------------


@dataclass
class ItemStanding:
    """Who may vote on an agenda item, who counts toward its quorum, and who declared."""

    item: AgendaItem
    rules: RulesInForce
    members: list[SenateMembership]
    present_ids: set[int]
    declarations: list[Declaration]
    quorum: QuorumCheck
    declared_ids: set[int] = field(default_factory=set)

    @property
    def eligible(self) -> list[SenateMembership]:
        """Voting members present and free of a declared interest: they may vote."""
        return [
            m
            for m in self.members
            if m.votes and m.pk in self.present_ids and m.pk not in self.declared_ids
        ]

    @property
    def entitled(self) -> list[SenateMembership]:
        """Voting members in office on the day who did not declare: the supermajority base."""
        return [m for m in self.members if m.votes and m.pk not in self.declared_ids]

    def may_vote(self, member: SenateMembership | None) -> bool:
        return member is not None and any(m.pk == member.pk for m in self.eligible)

    def snapshot(self) -> dict:
        """What the record keeps about the quorum when a vote opens."""
        return {
            "met": self.quorum.met,
            "lead_gps": self.quorum.lead_gps,
            "lead_gps_needed": self.quorum.lead_gps_needed,
            "executives": self.quorum.executives,
            "executives_needed": self.quorum.executives_needed,
            "eligible": [str(m.user) for m in self.eligible],
            "declared": [str(d.member.user) for d in self.declarations],
            "rules": self.rules.approved_by,
        }


def item_standing(*, item: AgendaItem) -> ItemStanding:
    """Quorum and eligibility for one item (three queries)."""
    meeting = item.meeting
    on = meeting_date(meeting)
    rules = rules_in_force(commissioner=meeting.commissioner, on=on)
    members = list(members_in_force(commissioner=meeting.commissioner, on=on))
    present_ids = set(
        Attendance.objects.filter(meeting=meeting, status=AttendanceStatus.PRESENT).values_list(
            "member_id", flat=True
        )
    )
    declarations = list(
        Declaration.objects.filter(item=item).select_related("member__user").order_by("id")
    )
    declared_ids = {d.member_id for d in declarations}
    counted = [m for m in members if m.votes and m.pk in present_ids and m.pk not in declared_ids]
    quorum = quorum_check(
        lead_gps=sum(1 for m in counted if m.kind == MemberKind.LEAD_GP),
        executives=sum(1 for m in counted if m.kind == MemberKind.EXECUTIVE_DIRECTOR),
        lead_gps_needed=rules.quorum_lead_gps,
        executives_needed=rules.quorum_executives,
    )
    return ItemStanding(item, rules, members, present_ids, declarations, quorum, declared_ids)


# --- What a person may see -----------------------------------------------------------------------


def meetings_visible_to(*, user: User) -> QuerySet[Meeting]:
    """Published meetings are public; drafts only to the secretary of that senate."""
    run = [c.pk for c in senate_commissioners_run_by(user=user)]
    return Meeting.objects.filter(~Q(status=MeetingStatus.DRAFT) | Q(commissioner_id__in=run))


def meeting_get_visible(*, user: User, pk: int) -> Meeting:
    meeting = meetings_visible_to(user=user).select_related("commissioner", "chair__user")
    meeting = meeting.filter(pk=pk).first()
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


def meeting_agenda(*, meeting: Meeting) -> list[AgendaItem]:
    """Items with their papers, declarations and motions (and each motion's votes): 5 queries."""
    return list(
        meeting.items.prefetch_related(
            "papers",
            Prefetch("declarations", queryset=Declaration.objects.select_related("member__user")),
            Prefetch(
                "motions",
                queryset=Motion.objects.select_related(
                    "model_run", "virement", "standard_version__standard", "document_version"
                ).prefetch_related(
                    Prefetch("votes", queryset=Vote.objects.select_related("member__user"))
                ),
            ),
        )
    )


def meeting_attendance(*, meeting: Meeting) -> list[dict]:
    """Every member in office on the day with their attendance (None: not yet recorded)."""
    on = meeting_date(meeting)
    recorded = {
        a.member_id: a for a in Attendance.objects.filter(meeting=meeting).select_related("member")
    }
    return [
        {"member": m, "attendance": recorded.get(m.pk)}
        for m in members_in_force(commissioner=meeting.commissioner, on=on)
    ]


def paper_get_downloadable(*, user: User, pk: int) -> Paper:
    """A paper of a published meeting is public (the register links it); a draft meeting's
    papers are for its secretary only. Missing and not-yours look alike (404)."""
    paper = Paper.objects.select_related("item__meeting__commissioner").filter(pk=pk).first()
    if paper is None:
        raise Http404("No such paper.")
    meeting = paper.item.meeting
    if not meeting.is_public and not may_run_senate(user=user, commissioner=meeting.commissioner):
        raise Http404("No such paper.")
    return paper


def motion_get_visible(*, user: User, pk: int) -> Motion:
    motion = (
        Motion.objects.select_related("meeting__commissioner", "item")
        .filter(pk=pk, meeting__in=meetings_visible_to(user=user))
        .first()
    )
    if motion is None:
        raise Http404("No such motion.")
    return motion


def item_get_visible(*, user: User, pk: int) -> AgendaItem:
    item = (
        AgendaItem.objects.select_related("meeting__commissioner")
        .filter(pk=pk, meeting__in=meetings_visible_to(user=user))
        .first()
    )
    if item is None:
        raise Http404("No such agenda item.")
    return item


# --- The public decision register ----------------------------------------------------------------


def decisions_public(
    *,
    result: str = "",
    kind: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    meeting: str = "",
    text: str = "",
) -> QuerySet[Motion]:
    """Every closed motion, newest meeting first, with what the register shows (fixed queries):
    meeting, item, tally, votes by name, declared interests and papers."""
    decisions = Motion.objects.filter(status=MotionStatus.CLOSED).exclude(
        meeting__status=MeetingStatus.DRAFT
    )
    if result:
        decisions = decisions.filter(result=result)
    if kind:
        decisions = decisions.filter(kind=kind)
    if since:
        decisions = decisions.filter(meeting__starts_at__date__gte=since)
    if until:
        decisions = decisions.filter(meeting__starts_at__date__lte=until)
    if meeting:
        decisions = decisions.filter(meeting__reference=meeting)
    if text:
        decisions = decisions.filter(Q(text__icontains=text) | Q(item__title__icontains=text))
    return (
        decisions.select_related(
            "meeting__commissioner",
            "item",
            "standard_version__standard__care_stream",
            "document_version__document",
        )
        .prefetch_related(
            Prefetch("votes", queryset=Vote.objects.select_related("member__user").order_by("id")),
            Prefetch(
                "item__declarations",
                queryset=Declaration.objects.select_related("member__user").order_by("id"),
            ),
            "item__papers",
        )
        .order_by("-meeting__starts_at", "meeting_id", "number")
    )


def decision_get_public(*, pk: int) -> Motion:
    decision = decisions_public().filter(pk=pk).first()
    if decision is None:
        raise Http404("No such decision.")
    return decision


def tally_text(motion: Motion) -> str:
    return (
        f"{motion.votes_for} for, {motion.votes_against} against, "
        f"{motion.abstentions} abstention{'s' if motion.abstentions != 1 else ''}"
    )


# --- What needs a member --------------------------------------------------------------------------


@dataclass
class WorkForMember:
    memberships: list[SenateMembership]
    open_votes: list[Motion]  # open motions this person may vote on and has not
    voted: list[Motion]  # open motions they have voted on
    meetings: list[Meeting]  # published or in session: papers to read, interests to declare
    recent: list[Motion]  # latest decisions


def work_for_member(*, user: User) -> WorkForMember:
    """What needs a senate member: votes open to them, papers to read, recent results."""
    today = timezone.localdate()
    memberships = list(
        SenateMembership.objects.filter(user=user)
        .filter(in_force_q(today))
        .select_related("commissioner")
    )
    commissioner_ids = [m.commissioner_id for m in memberships]
    meetings = list(
        Meeting.objects.filter(
            commissioner_id__in=commissioner_ids,
            status__in=[MeetingStatus.PUBLISHED, MeetingStatus.IN_SESSION],
        )
        .prefetch_related("items__papers")
        .order_by("starts_at")
    )
    member_ids = {m.pk for m in memberships}
    open_motions = list(
        Motion.objects.filter(
            status=MotionStatus.OPEN, meeting__commissioner_id__in=commissioner_ids
        ).select_related("meeting", "item")
    )
    present = set(
        Attendance.objects.filter(
            meeting__in={m.meeting_id for m in open_motions},
            member_id__in=member_ids,
            status=AttendanceStatus.PRESENT,
        ).values_list("meeting_id", flat=True)
    )
    declared = set(
        Declaration.objects.filter(
            item__in={m.item_id for m in open_motions}, member_id__in=member_ids
        ).values_list("item_id", flat=True)
    )
    voted = set(
        Vote.objects.filter(motion__in=open_motions, member_id__in=member_ids).values_list(
            "motion_id", flat=True
        )
    )
    voting_member = any(m.votes for m in memberships)
    may = [
        m
        for m in open_motions
        if voting_member and m.meeting_id in present and m.item_id not in declared
    ]
    recent = list(decisions_public().filter(meeting__commissioner_id__in=commissioner_ids)[:5])
    return WorkForMember(
        memberships=memberships,
        open_votes=[m for m in may if m.pk not in voted],
        voted=[m for m in may if m.pk in voted],
        meetings=meetings,
        recent=recent,
    )


# --- Standards, pathways and documents ------------------------------------------------------------


def care_streams_with_standards(*, commissioner: Organisation) -> list[CareStream]:
    """The five care streams, each with its standards and their versions and elements."""
    return list(
        CareStream.objects.filter(commissioner=commissioner).prefetch_related(
            "standards__versions__elements"
        )
    )


def standard_version_get(*, pk: int) -> StandardVersion:
    version = (
        StandardVersion.objects.select_related("standard__care_stream__commissioner")
        .prefetch_related("elements", "motions__meeting")
        .filter(pk=pk)
        .first()
    )
    if version is None:
        raise Http404("No such standard.")
    return version


def localities_of(commissioner: Organisation) -> list[Organisation]:
    return list(
        Organisation.objects.filter(parent=commissioner, kind=OrganisationKind.LOCALITY).order_by(
            "name"
        )
    )


def version_adoptions(*, version: StandardVersion) -> dict[int, dict[int, ElementAdoption]]:
    """locality id -> element id -> that locality's adoption of the element."""
    out: dict[int, dict[int, ElementAdoption]] = defaultdict(dict)
    for adoption in ElementAdoption.objects.filter(element__version=version):
        out[adoption.locality_id][adoption.element_id] = adoption
    return out


def standards_compliance(*, commissioner: Organisation) -> dict:
    """Per adopted standard, per locality: has it adopted every mandatory element? (4 queries)

    A locality complies with a standard when it has recorded adoption of all the mandatory
    elements of the version in force; flexible elements may be adopted with local variations.
    """
    localities = localities_of(commissioner)
    versions = list(
        StandardVersion.objects.filter(
            standard__care_stream__commissioner=commissioner, status=VersionStatus.ADOPTED
        )
        .select_related("standard__care_stream")
        .prefetch_related("elements")
        .order_by("standard__care_stream__order", "standard__code")
    )
    adopted: dict[tuple[int, int], ElementAdoption] = {
        (a.element_id, a.locality_id): a
        for a in ElementAdoption.objects.filter(element__version__in=versions)
    }
    rows = []
    for version in versions:
        elements = list(version.elements.all())
        mandatory = [e for e in elements if e.mandatory]
        flexible = [e for e in elements if not e.mandatory]
        cells = []
        for locality in localities:
            got = sum(1 for e in mandatory if (e.pk, locality.pk) in adopted)
            variations = [
                adopted[(e.pk, locality.pk)].variation
                for e in flexible
                if (e.pk, locality.pk) in adopted and adopted[(e.pk, locality.pk)].variation
            ]
            cells.append(
                {
                    "locality": locality,
                    "mandatory_adopted": got,
                    "mandatory_total": len(mandatory),
                    "complies": bool(mandatory) and got == len(mandatory),
                    "flexible_adopted": sum(1 for e in flexible if (e.pk, locality.pk) in adopted),
                    "variations": variations,
                }
            )
        rows.append({"version": version, "cells": cells})
    return {"localities": localities, "rows": rows}


def documents_with_versions(*, commissioner: Organisation) -> list[SenateDocument]:
    return list(
        SenateDocument.objects.filter(commissioner=commissioner).prefetch_related(
            "versions__motions__meeting"
        )
    )


def element_ids(version: StandardVersion) -> set[int]:
    return set(StandardElement.objects.filter(version=version).values_list("pk", flat=True))


def meeting_minutes(*, meeting: Meeting) -> dict:
    """What the minutes say: who attended (and who sent apologies), each item with its
    declarations, papers and motions (result, tally, each member's vote and how it was taken)."""
    attendance = list(
        Attendance.objects.filter(meeting=meeting)
        .select_related("member__user")
        .order_by("member__kind", "member__user__last_name")
    )
    return {
        "meeting": meeting,
        "date": meeting_date(meeting),
        "present": [a.member for a in attendance if a.status == AttendanceStatus.PRESENT],
        "apologies": [a.member for a in attendance if a.status == AttendanceStatus.APOLOGIES],
        "items": meeting_agenda(meeting=meeting),
    }
