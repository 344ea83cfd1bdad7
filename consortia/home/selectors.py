"""What each person sees first: one section of the home page per kind of role they hold.

- PCT finance, the chief executive, the chief operating officer and executive directors: the
  county's money at a glance (the county dashboard's headline and localities);
- a locality lead GP or sub-locality lead: their locality (or sub-locality) at a glance: money,
  referral outliers and open peer reviews, slow providers and held payments, local schemes'
  savings, what the senate asks of them next, and outcomes beside the comparator;
- anyone with a seat on the senate: the next meeting, its papers, the votes open to them and the
  items on which to declare any interest before their votes open;
- a practice member: their practice's spending.

A person with several roles sees each section. Each section runs a fixed number of queries,
whatever the number of practices, months, rows or meetings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from budgets.activity.holds import held_payments_for
from budgets.activity.selectors import latest_run
from budgets.dashboards.selectors import (
    county_dashboard,
    held_activity,
    import_problems,
    node_dashboard,
    practice_dashboard,
)
from budgets.periods import financial_year_of, month_label, month_number, year_label
from localities.outcomes.selectors import locality_outcomes
from senate.models import Declaration, Motion, MotionStatus
from senate.selectors import standards_compliance, work_for_member

from ..models import Organisation, OrganisationKind, Role, RoleAssignment, User
from ..permissions import Action, active_assignments, can
from .referrals import referral_figures

COUNTY_ROLES = {
    Role.PCT_FINANCE,
    Role.CHIEF_EXECUTIVE,
    Role.CHIEF_OPERATING_OFFICER,
    Role.EXECUTIVE_DIRECTOR,
}
LOCALITY_ROLES = {Role.LOCALITY_LEAD, Role.SUB_LOCALITY_LEAD}
PRACTICES_SHOWN = 3  # the practices spending most per weighted patient, on a lead's home


@dataclass
class HomeSections:
    assignments: list[RoleAssignment]
    county: dict | None = None
    localities: list[dict] = field(default_factory=list)
    senate: dict | None = None
    practices: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return bool(self.county) + len(self.localities) + bool(self.senate) + len(self.practices)

    @property
    def empty(self) -> bool:
        return not self.count


def _commissioner_of(node: Organisation) -> Organisation:
    if node.kind == OrganisationKind.COMMISSIONER:
        return node
    return Organisation.objects.get(path="/" + node.commissioner_code + "/")


def _locality_of(node: Organisation) -> Organisation:
    parts = node.path.strip("/").split("/")
    if node.kind == OrganisationKind.LOCALITY or len(parts) < 2:
        return node
    return Organisation.objects.get(code=parts[1])


def county_section(*, user: User, commissioner: Organisation) -> dict | None:
    """The county's year-end outlook and its localities at the latest reconciled month."""
    if not can(user, Action.VIEW_MONEY, commissioner):
        return None
    run = latest_run(commissioner=commissioner)
    data = county_dashboard(user=user, commissioner=commissioner, run=run)
    data["problems"] = import_problems(commissioner=commissioner, year=run.year) if run else None
    data["held"] = held_activity(commissioner=commissioner, year=run.year) if run else None
    data["held_payments"] = (
        held_payments_for(user=user, commissioner=commissioner, year=run.year, month=run.month)
        if run
        else None
    )
    data["period"] = _period(run)
    return data


def _period(run) -> str:
    """ "M9 Dec 2010 (2010-11)", or empty when nothing is reconciled yet."""
    return f"{month_label(run.year, run.month)} ({year_label(run.year)})" if run else ""


def locality_section(*, user: User, node: Organisation) -> dict:
    """A lead's locality or sub-locality at a glance (see the module docstring)."""
    commissioner = _commissioner_of(node)
    locality = _locality_of(node)
    run = latest_run(commissioner=commissioner)
    # Referral figures are for the month the money is reconciled to, or else this month.
    today = timezone.localdate()
    year, month = (run.year, run.month) if run else (financial_year_of(today), month_number(today))
    money = node_dashboard(user=user, node=node, run=run)
    spenders = sorted(
        (f for f in money["practices"] if f.index is not None), key=lambda f: -f.index
    )[:PRACTICES_SHOWN]
    compliance = standards_compliance(commissioner=commissioner)
    to_adopt = [
        {"version": row["version"], "cell": cell}
        for row in compliance["rows"]
        for cell in row["cells"]
        if cell["locality"].pk == locality.pk and not cell["complies"]
    ]
    return {
        "node": node,
        "locality": locality,
        "run": run,
        "period": _period(run),
        "money": money,
        "spenders": spenders,
        "referrals": referral_figures(
            user=user, locality=locality, commissioner=commissioner, year=year, month=month
        ),
        "standards_to_adopt": to_adopt,
        "outcomes": locality_outcomes(user=user, locality=locality),
    }


def senate_section(*, user: User) -> dict | None:
    """For a senate member: the next meeting and its papers, the votes open to them, and the
    items of published meetings on which no vote has opened and they have declared nothing:
    interests are declared before an item's vote opens (senate.services.declaration_record)."""
    work = work_for_member(user=user)
    if not work.memberships:
        return None
    items = [item for meeting in work.meetings for item in meeting.items.all()]
    voting_started = set(
        Motion.objects.filter(
            item__in=items, status__in=[MotionStatus.OPEN, MotionStatus.CLOSED]
        ).values_list("item_id", flat=True)
    )
    declared = set(
        Declaration.objects.filter(item__in=items, member__in=work.memberships).values_list(
            "item_id", flat=True
        )
    )
    to_declare = [
        item for item in items if item.pk not in voting_started and item.pk not in declared
    ]
    return {
        "work": work,
        "next_meeting": work.meetings[0] if work.meetings else None,
        "later_meetings": work.meetings[1:],
        "to_declare": to_declare if any(m.votes for m in work.memberships) else [],
        "declared": [item for item in items if item.pk in declared],
    }


def home_sections(*, user: User) -> HomeSections:
    """The sections of `user`'s home page, by the roles they hold (see the module docstring)."""
    assignments = active_assignments(user)
    sections = HomeSections(assignments=assignments)
    seen: set[int] = set()
    for assignment in assignments:
        node = assignment.organisation
        if assignment.role in COUNTY_ROLES and sections.county is None:
            sections.county = county_section(user=user, commissioner=_commissioner_of(node))
        elif assignment.role in LOCALITY_ROLES and node.pk not in seen:
            seen.add(node.pk)
            sections.localities.append(locality_section(user=user, node=node))
        elif assignment.role == Role.PRACTICE_MEMBER and node.pk not in seen:
            seen.add(node.pk)
            run = latest_run(commissioner=_commissioner_of(node))
            sections.practices.append(practice_dashboard(user=user, practice=node, run=run))
    sections.senate = senate_section(user=user)
    return sections
