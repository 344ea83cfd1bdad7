"""The Cumbria senate demo: members seated from their roles, the standing rules, the five care
streams, the Statement of Principles, and a closed meeting on 25 March 2010 at which the senate
(Eden's lead GP declaring an interest in the allocation) approves the 2010-11 resource
allocation and adopts a diabetes pathway. The meeting is run by the senate secretary through the
same services as the pages. Names of members are the demo users'; the interest, votes, pathway
text and papers are invented for the demo."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from budgets.demo import cumbria_budgets_after_allocation
from budgets.models import ModelRun, RunStatus
from consortia.models import Notice, Organisation, User

from .models import (
    Choice,
    DocumentKind,
    Meeting,
    MemberKind,
    MotionKind,
    SenateMembership,
    StandardKind,
)
from .services import (
    adoption_record,
    agenda_item_add,
    attendance_record,
    care_stream_create,
    declaration_record,
    document_version_record_adopted,
    meeting_close,
    meeting_create,
    meeting_open,
    meeting_publish,
    members_seed_from_roles,
    membership_add,
    motion_close,
    motion_open,
    motion_propose,
    paper_attach,
    rules_set,
    standard_version_propose,
    vote_cast,
    vote_record,
)

LOADER = "demo loader: senate"
SENATE_FROM = dt.date(2009, 10, 1)
MEETING_AT = dt.datetime(2010, 3, 25, 14, 0, tzinfo=ZoneInfo("Europe/London"))
MEETING_REFERENCE = "CS-2010-03-25"

CARE_STREAMS = [
    ("EMERG", "Emergency care"),
    ("SCHED", "Scheduled care"),
    ("LTC", "Long-term conditions"),
    ("CYP", "Children and families"),
    ("MH", "Mental health"),
]
PRINCIPLES = """1. The best possible health and health services for the people of Cumbria.
2. Address health inequalities, directing resources to where they are most needed.
3. Evidence-based best practice, shared across the county.
4. Respect the individuality of localities.
5. The integrity of local and collective decisions and decision making.
6. Engage staff, patients and the public.
7. Engage local communities.
8. Support colleagues to innovate and to challenge.
9. The highest standards of performance, with reliable and timely data used to performance-manage
   those who do not meet agreed standards.
10. Sound custodians of the budget, achieving balance at each year end."""
DIABETES_ELEMENTS = [
    ("Every practice keeps a register of people with diabetes and recalls each for an annual "
     "review (HbA1c, blood pressure, cholesterol, kidney function, foot and eye checks).", True),
    ("Everyone newly diagnosed with type 2 diabetes is offered structured education within "
     "nine months of diagnosis.", True),
    ("Retinal screening every year through the county programme.", True),
    ("People with a high-risk foot are seen by the community podiatry service within two weeks.",
     True),
    ("Insulin initiation in primary care or the community, by a trained practice nurse or a "
     "diabetes specialist nurse.", False),
    ("Where and how the structured education is delivered (venue, group or one-to-one, "
     "evenings), to suit the locality.", False),
]  # fmt: skip
# locality code -> (lead GP, adopted element numbers, {element number: local variation})
ADOPTIONS = {
    "5NE-CAR": ("lead.carlisle", [1, 2, 3, 4, 5, 6], {6: "Evening groups at the Cumberland "
                                                     "Infirmary education centre"}),
    "5NE-EDE": ("lead.eden", [1, 2, 3, 4, 5], {5: "Insulin started by the two diabetes "
                                              "specialist nurses only (rural practices)"}),
    "5NE-SLA": ("lead.southlakes", [1, 2, 3, 4, 6], {6: "One-to-one sessions in Kendal and "
                                                   "Windermere"}),
    "5NE-BAR": ("lead.barrow", [1, 2, 3], {}),
}  # fmt: skip


def _demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF (the demo's meeting papers), built by hand."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text_ops = ["BT", "/F1 16 Tf", "56 780 Td", f"({escape(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        text_ops += ["0 -20 Td", f"({escape(line)}) Tj"]
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _paper(name: str, title: str, lines: list[str]) -> ContentFile:
    return ContentFile(_demo_pdf(title, lines), name=name)


def cumbria_senate_load() -> dict:
    """Load the senate demo; idempotent (a second call finds the meeting and changes nothing).

    Members get their notices in the app; the demo sends no e-mail.
    """
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        return _load()


@transaction.atomic
def _load() -> dict:
    cumbria = Organisation.objects.get(code="5NE")
    secretary = User.objects.get(username="secretary")
    rules_set(
        actor=secretary,
        commissioner=cumbria,
        effective_from=SENATE_FROM,
        approved_by="Clinical senate standing orders (demo), agreed at its first meeting",
        quorum_lead_gps=4,
        quorum_executives=1,
        principles_numerator=2,
        principles_denominator=3,
    )
    members_seed_from_roles(commissioner=cumbria, starts_on=SENATE_FROM, actor_label=LOADER)
    nurse, created = User.objects.get_or_create(
        username="nurse.lead",
        defaults={"first_name": "Nora", "last_name": "Nightingale",
                  "email": "nurse.lead@example.nhs.uk"},
    )  # fmt: skip
    if created:
        nurse.set_password("demo")
        nurse.save(update_fields=["password"])
    membership_add(
        actor=secretary,
        commissioner=cumbria,
        user=nurse,
        kind=MemberKind.CO_OPTED,
        title="Community nursing lead (co-opted)",
        starts_on=SENATE_FROM,
    )
    streams = {
        code: care_stream_create(
            actor=secretary, commissioner=cumbria, code=code, name=name, order=i
        )
        for i, (code, name) in enumerate(CARE_STREAMS)
    }
    document_version_record_adopted(
        commissioner=cumbria,
        kind=DocumentKind.PRINCIPLES,
        text=PRINCIPLES,
        effective_from=SENATE_FROM,
        adopted_note="Agreed by the PCT and the locality lead GPs in 2009, before these records",
        actor_label=LOADER,
    )
    run = ModelRun.objects.filter(commissioner=cumbria, year=2010).order_by("created_at").first()
    meeting = Meeting.objects.filter(commissioner=cumbria, reference=MEETING_REFERENCE).first()
    if meeting is None:
        started = timezone.now()
        meeting = _meeting(cumbria, secretary, streams, run)
        # The demo meeting is history (March 2010): its notices arrive already read.
        Notice.objects.filter(created_at__gte=started, url__startswith="/senate/").update(
            read_at=timezone.now()
        )
    if run is not None:
        run.refresh_from_db()  # the senate has decided it
        if run.status == RunStatus.APPROVED:
            cumbria_budgets_after_allocation(run)
    return {"meeting": meeting, "run": run}


def _member(cumbria: Organisation, username: str) -> SenateMembership:
    return SenateMembership.objects.get(
        commissioner=cumbria, user__username=username, ends_on__isnull=True
    )


def _meeting(cumbria, secretary, streams, run) -> Meeting:
    diabetes = standard_version_propose(
        actor=secretary,
        care_stream=streams["LTC"],
        code="LTC-DIAB",
        title="Diabetes pathway",
        kind=StandardKind.PATHWAY,
        summary="Adult type 2 diabetes from diagnosis to annual review: what every locality "
        "provides, and what each may adapt.",
        elements=DIABETES_ELEMENTS,
    )
    meeting = meeting_create(
        actor=secretary,
        commissioner=cumbria,
        title="Clinical senate, March 2010",
        starts_at=MEETING_AT,
        location="Penrith",
        chair=_member(cumbria, "lead.carlisle"),
    )
    allocation_item = None
    if run is not None and run.status == RunStatus.PROPOSED:
        allocation_item = agenda_item_add(
            actor=secretary,
            meeting=meeting,
            title="Resource allocation to localities, 2010-11",
            description="The weighted capitation model run for 2010-11, with every step from "
            "practice populations to each locality's budget lines.",
        )
        paper_attach(
            actor=secretary,
            item=allocation_item,
            title="Resource allocation model 2010-11 (summary)",
            file=_paper("allocation-2010-11.pdf", "Resource allocation model 2010-11", [
                f"{run}: weighted capitation, age, need, sparsity; pace of change 1.5%.",
                "The full model, line by line, is in Consortia under Budgets > Model runs.",
                "Demo paper for the Consortia demo (NHS Cumbria, invented figures).",
            ]),
        )  # fmt: skip
    pathway_item = agenda_item_add(
        actor=secretary,
        meeting=meeting,
        title="Diabetes pathway (long-term conditions care stream)",
        description="The long-term conditions board proposes a county diabetes pathway: four "
        "mandatory elements and two that localities may adapt.",
    )
    paper_attach(
        actor=secretary,
        item=pathway_item,
        title="Diabetes pathway: proposal of the long-term conditions board",
        file=_paper("diabetes-pathway.pdf", "Diabetes pathway (proposal)", [
            *(f"{i}. [{'mandatory' if m else 'flexible'}] {t[:80]}"
              for i, (t, m) in enumerate(DIABETES_ELEMENTS, start=1)),
            "Demo paper for the Consortia demo.",
        ]),
    )  # fmt: skip
    meeting_publish(actor=secretary, meeting=meeting)
    meeting_open(actor=secretary, meeting=meeting)
    voters = ["lead.allerdale", "lead.barrow", "lead.carlisle", "lead.copeland", "lead.eden",
              "lead.southlakes", "director"]  # fmt: skip
    for username in [*voters, "nurse.lead"]:
        attendance_record(
            actor=secretary, meeting=meeting, member=_member(cumbria, username), status="present"
        )
    if allocation_item is not None:
        eden = _member(cumbria, "lead.eden")
        declaration_record(
            actor=eden.user,
            item=allocation_item,
            member=eden,
            interest="Director of Eden Health CIC, which holds Eden's delegated budget "
            "(demo: invented interest)",
        )
        motion = motion_propose(
            actor=secretary,
            item=allocation_item,
            kind=MotionKind.ALLOCATION,
            text=f"That the senate approves {run} and the allocation of the 2010-11 budgets to "
            "the six localities as the model proposes.",
            model_run=run,
        )
        motion_open(actor=secretary, motion=motion)
        choices = {"lead.allerdale": Choice.FOR, "lead.barrow": Choice.FOR,
                   "lead.carlisle": Choice.FOR, "lead.copeland": Choice.ABSTAIN,
                   "lead.southlakes": Choice.FOR, "director": Choice.FOR}  # fmt: skip
        _votes(cumbria, secretary, motion, choices, in_browser={"lead.allerdale", "director"})
        motion_close(actor=secretary, motion=motion)
    motion = motion_propose(
        actor=secretary,
        item=pathway_item,
        kind=MotionKind.STANDARD,
        text="That the senate adopts the diabetes pathway of the long-term conditions care "
        "stream, its mandatory elements to apply in every locality from 1 April 2010.",
        standard_version=diabetes,
    )
    motion_open(actor=secretary, motion=motion)
    choices = dict.fromkeys(voters, Choice.FOR) | {"lead.copeland": Choice.AGAINST}
    _votes(cumbria, secretary, motion, choices, in_browser={"lead.eden"})
    motion_close(actor=secretary, motion=motion)
    meeting_close(actor=secretary, meeting=meeting)
    for code, (lead, numbers, variations) in ADOPTIONS.items():
        adoption_record(
            actor=User.objects.get(username=lead),
            locality=Organisation.objects.get(code=code),
            version=diabetes,
            elements={
                e.pk: variations.get(e.number, "")
                for e in diabetes.elements.all()
                if e.number in numbers
            },
            adopted_on=dt.date(2010, 4, 1),
        )
    return meeting


def _votes(cumbria, secretary, motion, choices: dict, in_browser: set[str]) -> None:
    for username, choice in choices.items():
        member = _member(cumbria, username)
        if username in in_browser:
            vote_cast(actor=member.user, motion=motion, choice=choice)
        else:
            vote_record(actor=secretary, motion=motion, member=member, choice=choice)


# --- The next meeting, published: what the demo's members see waiting for them ------------------

NEXT_MEETING_AT = dt.datetime(2011, 1, 27, 14, 0, tzinfo=ZoneInfo("Europe/London"))
NEXT_MEETING_TITLE = "Clinical senate, January 2011"


def cumbria_next_meeting_load() -> Meeting | None:
    """The senate's next meeting in the demo (27 January 2011, after the M9 figures), published
    with its papers and a motion to be put, so that each member's home page shows papers to read
    and items to declare any interest in before their votes open. Idempotent; loaded by
    `seed_demo` (not by the tests' session data, whose senate has no meeting ahead)."""
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        return _next_meeting()


@transaction.atomic
def _next_meeting() -> Meeting | None:
    cumbria = Organisation.objects.get(code="5NE")
    meeting = Meeting.objects.filter(commissioner=cumbria, title=NEXT_MEETING_TITLE).first()
    if meeting is not None or not SenateMembership.objects.filter(commissioner=cumbria).exists():
        return meeting
    secretary = User.objects.get(username="secretary")
    meeting = meeting_create(
        actor=secretary,
        commissioner=cumbria,
        title=NEXT_MEETING_TITLE,
        starts_at=NEXT_MEETING_AT,
        location="Workington",
        chair=_member(cumbria, "lead.carlisle"),
    )
    finance = agenda_item_add(
        actor=secretary,
        meeting=meeting,
        title="Finance report at month 9: the year-end outlook",
        description="Each locality's position against its hard budget at December 2010, and "
        "what Allerdale and Carlisle propose to bring their forecasts back to balance.",
    )
    paper_attach(
        actor=secretary,
        item=finance,
        title="Finance report, M9 2010-11",
        file=_paper("finance-m9-2010-11.pdf", "Finance report, month 9 2010-11", [
            "Positions at M9 against the hard budgets: see Consortia > Dashboard.",
            "Allerdale (Workington) and Carlisle forecast to overspend: recovery plans attached.",
            "Demo paper for the Consortia demo (synthetic activity, invented figures).",
        ]),
    )  # fmt: skip
    carpal = agenda_item_add(
        actor=secretary,
        meeting=meeting,
        title="GPSI carpal tunnel surgery in West Cumbria",
        description="Extend the fortnightly GPSI carpal tunnel clinic, at under 80% of the "
        "acute tariff, to Allerdale and Copeland.",
    )
    paper_attach(
        actor=secretary,
        item=carpal,
        title="GPSI carpal tunnel surgery: proposal",
        file=_paper("gpsi-carpal-tunnel.pdf", "GPSI carpal tunnel surgery (proposal)", [
            "A fortnightly clinic since November 2009 at under 80% of the acute tariff.",
            "Proposal: a second clinic for West Cumbria from April 2011.",
            "Demo paper for the Consortia demo.",
        ]),
    )  # fmt: skip
    motion_propose(
        actor=secretary,
        item=carpal,
        kind=MotionKind.GENERAL,
        text="That the senate commissions a fortnightly GPSI carpal tunnel clinic for West "
        "Cumbria from April 2011, at under 80% of the acute tariff.",
    )
    meeting_publish(actor=secretary, meeting=meeting)
    return meeting
