"""The double-entry ledger: balanced, immutable, reversible once; the 2010-11 allocation posted
once and exact to the penny."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum

from budgets.allocation.services import model_run_approve, model_run_create, model_run_reject
from budgets.ledger.selectors import account_balance
from budgets.ledger.services import account_get_or_create, ledger_post, transaction_reverse
from budgets.models import (
    Account,
    AccountPurpose,
    AllocationParameters,
    BudgetLine,
    Leg,
    LineCategory,
    ModelRun,
    RunStatus,
    Transaction,
)
from consortia.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_2010(cumbria):
    return ModelRun.objects.get(commissioner=cumbria, year=2010)


@pytest.fixture
def line(cumbria):
    return lambda code: BudgetLine.objects.get(commissioner=cumbria, code=code)


@pytest.fixture
def account(node, line):
    return lambda org, code, purpose=AccountPurpose.BUDGET: account_get_or_create(
        organisation=node(org), year=2010, line=line(code), purpose=purpose
    )


def test_the_approved_allocation_reaches_the_localities_to_the_penny(run_2010, line):
    for code, envelope in run_2010.envelopes.items():
        category = line(code).category
        posted = (
            Leg.objects.filter(
                transaction__model_run=run_2010, account__line__code=code, amount__gt=0
            ).aggregate(s=Sum("amount"))["s"]
            or 0
        )
        if category == LineCategory.MEMORANDUM:
            assert posted == 0  # shown, never spendable
        else:
            assert posted == envelope, code
    localities_posted = Leg.objects.filter(
        transaction__model_run=run_2010, account__organisation__kind="locality"
    ).aggregate(s=Sum("amount"))["s"]
    assert localities_posted == sum(
        v for c, v in run_2010.envelopes.items() if line(c).category == LineCategory.DELEGATED
    )
    funding = Account.objects.get(purpose=AccountPurpose.FUNDING, year=2010)
    spendable = sum(
        v for c, v in run_2010.envelopes.items() if line(c).category != LineCategory.MEMORANDUM
    )
    assert account_balance(funding) == -spendable


def test_every_transaction_balances_and_the_whole_ledger_sums_to_zero(run_2010):
    per_txn = Leg.objects.values("transaction_id").annotate(s=Sum("amount"))
    assert per_txn and all(row["s"] == 0 for row in per_txn)
    assert Leg.objects.aggregate(s=Sum("amount"))["s"] == 0


def test_an_unbalanced_transaction_is_refused(account):
    with pytest.raises(ApplicationError, match="do not balance"):
        ledger_post(
            legs=[(account("5NE-CAR", "PRESC"), -100), (account("5NE-CAR", "COMM"), 99)],
            kind="virement",
            memo="typo",
            actor=None,
        )


def test_a_transaction_needs_two_legs_of_whole_pence(account):
    with pytest.raises(ApplicationError, match="at least two legs"):
        ledger_post(legs=[(account("5NE-CAR", "PRESC"), 0)], kind="virement", memo="x", actor=None)
    with pytest.raises(ApplicationError, match="whole pence"):
        ledger_post(
            legs=[(account("5NE-CAR", "PRESC"), -1.5), (account("5NE-CAR", "COMM"), 1.5)],
            kind="virement",
            memo="x",
            actor=None,
        )


def test_legs_and_transactions_cannot_be_changed_or_deleted(run_2010):
    leg = Leg.objects.first()
    for attempt in (
        lambda: Leg.objects.filter(pk=leg.pk).update(amount=leg.amount + 1),
        lambda: Leg.objects.filter(pk=leg.pk).delete(),
        lambda: Transaction.objects.filter(pk=leg.transaction_id).update(memo="x"),
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            attempt()
    assert Leg.objects.get(pk=leg.pk).amount == leg.amount


@pytest.mark.postgres
def test_the_database_rejects_an_unbalanced_transaction_written_by_raw_sql(run_2010):
    if connection.vendor != "postgresql":
        pytest.skip("The balance trigger is PostgreSQL's (SQLite has no deferred triggers).")
    account = Account.objects.filter(purpose=AccountPurpose.BUDGET).first()
    with (
        pytest.raises(IntegrityError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO budgets_transaction (commissioner_id, year, kind, memo, posted_at, "
            "posted_by_label) VALUES (%s, 2010, 'virement', 'raw', now(), 'sql') RETURNING id",
            [account.organisation_id],
        )
        txn_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO budgets_leg (transaction_id, account_id, amount) VALUES (%s, %s, 100)",
            [txn_id, account.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would do


def test_a_mistake_is_mended_by_a_reversal_once(account, person):
    source, target = account("5NE-EDE", "PRESC"), account("5NE-EDE", "COMM")
    before = account_balance(source), account_balance(target)
    txn = ledger_post(
        legs=[(source, -5_000), (target, 5_000)],
        kind="virement",
        memo="posted to the wrong line",
        actor=None,
    )

    reversal = transaction_reverse(transaction=txn, reason="wrong line", actor=person("finance"))

    assert (account_balance(source), account_balance(target)) == before
    assert reversal.reverses == txn and "wrong line" in reversal.memo
    with pytest.raises(ApplicationError, match="already been reversed"):
        transaction_reverse(transaction=txn, reason="again", actor=person("finance"))
    with pytest.raises(PermissionDenied):
        transaction_reverse(transaction=reversal, reason="x", actor=person("lead.eden"))


def test_approving_a_run_twice_is_refused(run_2010, person):
    with pytest.raises(ApplicationError, match="cannot be approved again"):
        model_run_approve(run=run_2010, actor=person("ceo"))
    assert Transaction.objects.filter(model_run=run_2010).count() == 1


def _new_run(cumbria, year=2011):
    return model_run_create(
        actor=None,
        commissioner=cumbria,
        year=year,
        parameters=AllocationParameters.objects.get(commissioner=cumbria),
        envelopes={"PRESC": 93_000_000_00, "MH": 66_000_000_00},
        population_date=dt.date(2013, 6, 30),
    )


def test_only_the_chief_executive_approves_a_run_outside_the_senate(cumbria, person):
    run = _new_run(cumbria)
    for username in ("lead.carlisle", "finance", "coo"):
        with pytest.raises(PermissionDenied):
            model_run_approve(run=run, actor=person(username))

    txn = model_run_approve(run=run, actor=person("ceo"))

    assert sum(leg.amount for leg in txn.legs.all()) == 0
    assert txn.legs.filter(amount__gt=0).aggregate(s=Sum("amount"))["s"] == 159_000_000_00
    # next year's prescribing moved from the baseline-less target straight to target
    assert (
        txn.legs.filter(account__line__code="MH", amount__gt=0).get().account.organisation
        == cumbria
    )


def test_a_rejected_run_posts_nothing(cumbria, person):
    run = _new_run(cumbria)
    legs_before = Leg.objects.count()

    model_run_reject(run=run, actor=person("ceo"), reason="Senate asked for a new need weight")

    run.refresh_from_db()
    assert run.status == RunStatus.REJECTED
    assert Leg.objects.count() == legs_before
    with pytest.raises(ApplicationError):
        model_run_approve(run=run, actor=person("ceo"))
