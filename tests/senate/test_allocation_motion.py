"""End to end: a senate motion approves an allocation model run and the ledger shows the
allocations, in the same transaction as the result; a lost motion posts nothing."""

import datetime as dt

import pytest
from django.db.models import Sum

from budgets.allocation.services import model_run_approve, model_run_create
from budgets.models import (
    Account,
    AllocationParameters,
    Leg,
    ModelRun,
    ModelRunLine,
    RunStatus,
    Transaction,
    TransactionKind,
)
from consortia.errors import ApplicationError
from senate.models import Declaration, Meeting, MotionKind, MotionStatus, Result

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed_run(cumbria):
    """A 2011-12 model run awaiting approval."""
    return model_run_create(
        actor=None,
        commissioner=cumbria,
        year=2011,
        parameters=AllocationParameters.objects.filter(commissioner=cumbria).first(),
        envelopes={"SC-PBR": 270_000_000_00, "PRESC": 90_000_000_00, "MH": 65_000_000_00},
        population_date=dt.date(2013, 6, 30),
    )


def _allocation_sitting(sitting, run):
    return sitting(
        kind=MotionKind.ALLOCATION,
        text=f"That the senate approves {run}.",
        model_run=run,
    )


def test_a_carried_motion_posts_the_allocations_to_the_ledger(sitting, proposed_run):
    s = _allocation_sitting(sitting, proposed_run)
    s.declare("lead.eden", "Director of Eden Health CIC")
    s.open()
    s.votes(lead_allerdale="for", lead_barrow="for", lead_carlisle="for", lead_copeland="abstain",
            lead_southlakes="for", director="against")  # fmt: skip

    motion = s.close()

    assert motion.result == Result.CARRIED
    proposed_run.refresh_from_db()
    assert proposed_run.status == RunStatus.APPROVED
    assert proposed_run.decision_note == f"Clinical senate decision {motion.reference}"
    txn = Transaction.objects.get(model_run=proposed_run, kind=TransactionKind.ALLOCATION)
    assert motion.reference in txn.memo
    assert f"transaction #{txn.pk}" in motion.consequence
    # Each locality's account holds exactly what the run proposed, to the penny.
    for row_line in ModelRunLine.objects.filter(row__run=proposed_run, line__category="delegated"):
        account = Account.objects.get(
            organisation=row_line.row.locality, year=2011, line=row_line.line, purpose="budget"
        )
        assert Leg.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] == (
            row_line.proposal
        )
    assert Leg.objects.filter(transaction=txn).aggregate(s=Sum("amount"))["s"] == 0
    assert Leg.objects.filter(transaction=txn, amount__gt=0).aggregate(s=Sum("amount"))["s"] == (
        sum(proposed_run.envelopes.values())
    )


def test_a_lost_motion_posts_nothing(sitting, proposed_run):
    s = _allocation_sitting(sitting, proposed_run)
    s.open()
    s.votes(lead_allerdale="against", lead_barrow="against", lead_carlisle="for")

    motion = s.close()

    assert motion.result == Result.LOST
    assert not Transaction.objects.filter(model_run=proposed_run).exists()
    assert not Leg.objects.filter(account__year=2011).exists()
    proposed_run.refresh_from_db()
    assert proposed_run.status == RunStatus.REJECTED
    assert motion.reference in proposed_run.decision_note


def test_if_the_allocation_cannot_be_posted_the_result_is_not_recorded(
    sitting, proposed_run, person
):
    s = _allocation_sitting(sitting, proposed_run)
    s.open()
    s.votes(lead_allerdale="for")
    model_run_approve(run=proposed_run, actor=person("ceo"))  # decided elsewhere meanwhile

    with pytest.raises(ApplicationError, match="cannot be approved again"):
        s.close()

    s.motion.refresh_from_db()
    assert s.motion.status == MotionStatus.OPEN and s.motion.result == ""
    assert Transaction.objects.filter(model_run=proposed_run).count() == 1  # the CEO's only


def test_only_a_proposed_run_can_be_put_to_the_senate(sitting, cumbria):
    approved = ModelRun.objects.get(commissioner=cumbria, year=2010)

    with pytest.raises(ApplicationError, match="not awaiting approval"):
        _allocation_sitting(sitting, approved)


def test_the_demo_senate_approved_the_2010_11_allocation(cumbria):
    """The demo journey: Eden's lead GP declared an interest and did not vote; the motion
    carried and the allocation is in the ledger; the diabetes pathway was adopted."""
    meeting = Meeting.objects.get(commissioner=cumbria, reference="CS-2010-03-25")
    allocation, pathway = meeting.motions.order_by("number")
    run = ModelRun.objects.get(commissioner=cumbria, year=2010)

    assert allocation.result == pathway.result == Result.CARRIED
    assert run.status == RunStatus.APPROVED
    assert run.decision_note == "Clinical senate decision CS-2010-03-25/M1"
    assert Transaction.objects.filter(model_run=run, kind=TransactionKind.ALLOCATION).exists()
    declaration = Declaration.objects.get(item=allocation.item)
    assert declaration.member.user.username == "lead.eden"
    assert not allocation.votes.filter(member=declaration.member).exists()
    assert pathway.votes.filter(member=declaration.member).exists()
    assert pathway.standard_version.status == "adopted"
    assert pathway.standard_version.elements.filter(mandatory=True).count() == 4
    assert pathway.standard_version.elements.filter(mandatory=False).count() == 2
