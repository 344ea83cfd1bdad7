"""PostgreSQL, real transactions on threads: many virements at once against one account never
overdraw it and never lose or create a penny."""

import threading

import pytest
from django.db import close_old_connections, connection
from django.db.models import Sum

from budgets.delegation.services import virement_approve, virement_request
from budgets.ledger.selectors import account_balance
from budgets.ledger.services import account_get_or_create, commitment_record
from budgets.models import AccountPurpose, BudgetLine, Leg, Virement, VirementStatus
from consortia.errors import ApplicationError
from consortia.models import Organisation, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_virements_never_overdraw_or_lose_a_penny(cumbria):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks across threads need PostgreSQL (CI runs this on PostgreSQL).")
    eden = Organisation.objects.get(code="5NE-EDE")
    lines = {line.code: line for line in BudgetLine.objects.filter(commissioner=cumbria)}
    source = account_get_or_create(organisation=eden, year=2010, line=lines["PRESC"])
    targets = [
        account_get_or_create(organisation=eden, year=2010, line=lines[code])
        for code in ("COMM", "SC-IS")
    ]
    # Leave exactly £1,000 uncommitted on the source.
    commitment_record(
        account=source,
        amount=account_balance(source) - 1_000_00,
        description="Committed prescribing",
        actor=None,
    )
    lead = User.objects.get(username="lead.eden")
    virements = [
        virement_request(
            actor=lead, source=source, target=targets[i % 2], amount=300_00, reason=f"Request {i}"
        )
        for i in range(8)
    ]
    total_before = Leg.objects.exclude(account__purpose=AccountPurpose.FUNDING).aggregate(
        s=Sum("amount")
    )["s"]
    balance_before = account_balance(source)
    outcomes, start = [], threading.Barrier(len(virements))

    def approve(virement):
        try:
            start.wait()
            virement_approve(virement=virement, actor=User.objects.get(username="coo"))
            outcomes.append("approved")
        except ApplicationError:
            outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=approve, args=(v,)) for v in virements]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # £1,000 uncommitted covers three £300 virements, never a fourth.
    assert sorted(outcomes) == ["approved"] * 3 + ["refused"] * 5
    assert account_balance(source) == balance_before - 900_00
    assert Virement.objects.filter(source=source, status=VirementStatus.APPROVED).count() == 3
    assert (
        Leg.objects.exclude(account__purpose=AccountPurpose.FUNDING).aggregate(s=Sum("amount"))["s"]
        == total_before
    )
    per_txn = Leg.objects.values("transaction_id").annotate(s=Sum("amount"))
    assert all(row["s"] == 0 for row in per_txn)
