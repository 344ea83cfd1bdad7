"""Virements under the scheme of delegation: each role at, just under and just over its limit.

Demo scheme: sub-locality lead £10,000, locality lead GP £50,000, PCT finance £100,000, chief
operating officer £250,000, all within one locality; above that, or between localities, the senate.
"""

import pytest
from django.core.exceptions import PermissionDenied

from budgets.delegation.services import virement_approve, virement_reject, virement_request
from budgets.ledger.selectors import account_balance
from budgets.ledger.services import account_get_or_create, commitment_record
from budgets.models import AccountPurpose, BudgetLine, Virement, VirementStatus
from consortia.errors import ApplicationError
from consortia.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(cumbria, node):
    def get(org, code):
        line = BudgetLine.objects.get(commissioner=cumbria, code=code)
        return account_get_or_create(
            organisation=node(org), year=2010, line=line, purpose=AccountPurpose.BUDGET
        )

    return get


# approver, requester, organisation (source and target), limit in pence
ROLES = [
    ("sublead.workington", "sublead.workington", "5NE-ALL-WOR", 10_000_00),
    ("lead.carlisle", "lead.carlisle", "5NE-CAR", 50_000_00),
    ("finance", "lead.carlisle", "5NE-CAR", 100_000_00),
    ("coo", "lead.carlisle", "5NE-CAR", 250_000_00),
]


@pytest.mark.parametrize(("approver", "requester", "org", "limit"), ROLES)
@pytest.mark.parametrize(
    ("offset", "allowed"),
    [(-1, True), (0, True), (1, False)],
    ids=["just-under", "at", "just-over"],
)
def test_each_role_at_under_and_over_its_limit(
    account, person, approver, requester, org, limit, offset, allowed
):
    source, target = account(org, "SC-PBR"), account(org, "PRESC")
    source_before = account_balance(source)
    virement = virement_request(
        actor=person(requester),
        source=source,
        target=target,
        amount=limit + offset,
        reason="Prescribing pressure",
    )

    if allowed:
        txn = virement_approve(virement=virement, actor=person(approver))
        assert account_balance(source) == source_before - (limit + offset)
        assert [leg.amount for leg in txn.legs.order_by("amount")] == [
            -(limit + offset),
            limit + offset,
        ]
    else:
        with pytest.raises(PermissionDenied, match="above your limit"):
            virement_approve(virement=virement, actor=person(approver))
        assert account_balance(source) == source_before
        virement.refresh_from_db()
        assert virement.status == VirementStatus.REQUESTED


def test_a_lead_gp_cannot_move_money_in_another_locality(account, person):
    with pytest.raises(PermissionDenied):
        virement_request(
            actor=person("lead.carlisle"),
            source=account("5NE-EDE", "SC-PBR"),
            target=account("5NE-EDE", "PRESC"),
            amount=100,
            reason="not mine",
        )


def test_the_requester_alone_cannot_approve_beyond_their_own_limit(account, person):
    virement = virement_request(
        actor=person("lead.carlisle"),
        source=account("5NE-CAR", "SC-PBR"),
        target=account("5NE-CAR", "COMM"),
        amount=60_000_00,
        reason="Rapid response",
    )

    with pytest.raises(PermissionDenied):
        virement_approve(virement=virement, actor=person("lead.carlisle"))
    virement_approve(virement=virement, actor=person("coo"))
    virement.refresh_from_db()
    assert (virement.status, virement.decided_by.username) == ("approved", "coo")


def test_between_localities_only_the_senate_decides(account, person):
    virement = virement_request(
        actor=person("finance"),
        source=account("5NE-CAR", "SC-PBR"),
        target=account("5NE-EDE", "SC-PBR"),
        amount=1_000_00,
        reason="Eden winter pressures",
    )

    with pytest.raises(PermissionDenied, match="senate"):
        virement_approve(virement=virement, actor=person("coo"))
    virement_approve(virement=virement, actor=None, senate_decision="Senate minute 2010/14")
    virement.refresh_from_db()
    assert virement.approved_by_senate and virement.status == VirementStatus.APPROVED


def test_a_virement_cannot_take_an_account_below_its_commitments(account, person):
    source, target = account("5NE-COP", "PRESC"), account("5NE-COP", "COMM")
    balance = account_balance(source)
    commitment_record(
        account=source, amount=balance - 20_000_00, description="Contracts", actor=None
    )
    virement = virement_request(
        actor=person("lead.copeland"),
        source=source,
        target=target,
        amount=30_000_00,
        reason="Community nursing",
    )

    with pytest.raises(ApplicationError, match="below what is committed"):
        virement_approve(virement=virement, actor=person("lead.copeland"))
    with pytest.raises(PermissionDenied, match="Only PCT finance"):
        virement_approve(virement=virement, actor=person("coo"), override_reason="urgent")


def test_finance_may_override_commitments_with_a_reason_and_it_is_audited(account, person):
    source, target = account("5NE-COP", "PRESC"), account("5NE-COP", "COMM")
    commitment_record(
        account=source, amount=account_balance(source), description="All committed", actor=None
    )
    virement = virement_request(
        actor=person("lead.copeland"),
        source=source,
        target=target,
        amount=5_000_00,
        reason="Community nursing",
    )

    with pytest.raises(ApplicationError, match="PCT finance may override"):
        virement_approve(virement=virement, actor=person("finance"))
    virement_approve(
        virement=virement,
        actor=person("finance"),
        override_reason="Prescribing commitments over-stated; corrected in M3",
    )

    event = AuditEvent.objects.get(event="virement.approved", subject_id=str(virement.pk))
    assert event.actor.username == "finance"
    assert event.after["override_reason"].startswith("Prescribing commitments")
    virement.refresh_from_db()
    assert virement.transaction is not None


def test_rejection_needs_a_reason_and_posts_nothing(account, person):
    virement = Virement.objects.get(status=VirementStatus.REQUESTED)  # the demo's £120,000
    with pytest.raises(ApplicationError, match="Say why"):
        virement_reject(virement=virement, actor=person("coo"), reason=" ")

    virement_reject(virement=virement, actor=person("coo"), reason="Use the prescribing reserve")

    virement.refresh_from_db()
    assert virement.status == VirementStatus.REJECTED and virement.transaction is None
    event = AuditEvent.objects.get(event="virement.rejected", subject_id=str(virement.pk))
    assert event.before["status"] == "requested" and event.actor.username == "coo"


def test_those_who_may_decide_are_told_and_the_requester_hears_the_outcome(account, person):
    from consortia.models import Notice

    virement = virement_request(
        actor=person("lead.carlisle"),
        source=account("5NE-CAR", "SC-PBR"),
        target=account("5NE-CAR", "PRESC"),
        amount=120_000_00,
        reason="Anticoagulants",
    )

    told = set(
        Notice.objects.filter(url=f"/budgets/virements/{virement.pk}/").values_list(
            "user__username", flat=True
        )
    )
    assert told == {"coo"}  # above the lead's £50,000 and finance's £100,000 limits
    virement_approve(virement=virement, actor=person("coo"))
    assert Notice.objects.filter(
        user=person("lead.carlisle"), subject__startswith="Virement approved"
    ).exists()
