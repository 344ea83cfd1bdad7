"""Allerdale delegates to its five sub-localities and shares risk through a pool."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum

from budgets.delegation.services import delegation_post, risk_pool_settle
from budgets.ledger.selectors import account_balance
from budgets.ledger.services import commitment_record
from budgets.models import Account, AccountPurpose, BudgetLine, Leg, RiskPool
from consortia.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(cumbria):
    return RiskPool.objects.get(locality__code="5NE-ALL", line__code="SC-PBR")


def sub_accounts(pool):
    return {
        a.organisation.code: a
        for a in Account.objects.filter(
            organisation__parent=pool.locality,
            year=pool.year,
            line=pool.line,
            purpose=AccountPurpose.BUDGET,
        ).select_related("organisation")
    }


def contributions(pool):
    """What each sub-locality paid in (read back from the contribution transaction)."""
    legs = Leg.objects.filter(
        transaction__kind="risk_pool_contribution", transaction__legs__account=pool.account
    ).exclude(account=pool.account)
    return {
        leg.account.organisation.code: -leg.amount
        for leg in legs.select_related("account__organisation")
    }


def test_allerdales_budget_is_delegated_to_its_five_sub_localities(cumbria, node):
    allerdale = node("5NE-ALL")
    line = BudgetLine.objects.get(commissioner=cumbria, code="PRESC")
    locality_account = Account.objects.get(
        organisation=allerdale, year=2010, line=line, purpose=AccountPurpose.BUDGET
    )
    subs = Account.objects.filter(organisation__parent=allerdale, year=2010, line=line)

    assert account_balance(locality_account) == 0  # all of it delegated
    assert subs.count() == 5
    allocated = Leg.objects.filter(account=locality_account, amount__gt=0).aggregate(
        s=Sum("amount")
    )["s"]
    assert sum(account_balance(a) for a in subs) == allocated


def test_the_pool_holds_two_percent_of_each_sub_localitys_budget(pool):
    paid = contributions(pool)
    accounts = sub_accounts(pool)

    assert len(paid) == 5
    for code, amount in paid.items():
        before = account_balance(accounts[code]) + amount
        assert amount == int((Decimal(before) * Decimal("0.02")).quantize(Decimal(1)))
    assert account_balance(pool.account) == sum(paid.values())


def test_year_end_covers_overspends_then_returns_the_rest_pro_rata(pool):
    accounts = sub_accounts(pool)
    paid = contributions(pool)
    available = account_balance(pool.account)
    balances_before = {code: account_balance(a) for code, a in accounts.items()}
    # Workington overspends by £100,000 and Keswick by £50,000 (spend beyond their budgets).
    commitment_record(
        account=accounts["5NE-ALL-WOR"],
        amount=balances_before["5NE-ALL-WOR"] + 100_000_00,
        description="M12 actuals",
        actor=None,
    )
    commitment_record(
        account=accounts["5NE-ALL-KES"],
        amount=balances_before["5NE-ALL-KES"] + 50_000_00,
        description="M12 actuals",
        actor=None,
    )

    risk_pool_settle(actor=None, pool=pool)

    remainder = available - 150_000_00
    from consortia.money import split_exactly

    codes = list(paid)
    returned = dict(zip(codes, split_exactly(remainder, [paid[c] for c in codes]), strict=True))
    gained = {code: account_balance(a) - balances_before[code] for code, a in accounts.items()}
    assert gained["5NE-ALL-WOR"] == 100_000_00 + returned["5NE-ALL-WOR"]
    assert gained["5NE-ALL-KES"] == 50_000_00 + returned["5NE-ALL-KES"]
    assert gained["5NE-ALL-MAR"] == returned["5NE-ALL-MAR"]
    assert sum(gained.values()) == available
    assert account_balance(pool.account) == 0
    with pytest.raises(ApplicationError, match="already been settled"):
        risk_pool_settle(actor=None, pool=pool)


def test_a_pool_too_small_covers_overspends_pro_rata(pool):
    accounts = sub_accounts(pool)
    available = account_balance(pool.account)
    before = {code: account_balance(a) for code, a in accounts.items()}
    commitment_record(
        account=accounts["5NE-ALL-WOR"],
        amount=before["5NE-ALL-WOR"] + 3 * available,
        description="overspend",
        actor=None,
    )
    commitment_record(
        account=accounts["5NE-ALL-COC"],
        amount=before["5NE-ALL-COC"] + available,
        description="overspend",
        actor=None,
    )

    risk_pool_settle(actor=None, pool=pool)

    # 3:1 overspends share the whole pool 3:1: Workington gets floor(3/4 of it), plus the odd
    # penny only when its remainder (.75) beats Cockermouth's (.25), i.e. pool ≡ 1 (mod 4); on a
    # tie (.5 each) the earlier account, Cockermouth's, takes it.
    worked = available * 3 // 4 + (1 if available % 4 == 1 else 0)
    assert account_balance(accounts["5NE-ALL-WOR"]) - before["5NE-ALL-WOR"] == worked
    assert (
        account_balance(accounts["5NE-ALL-WOR"])
        - before["5NE-ALL-WOR"]
        + account_balance(accounts["5NE-ALL-COC"])
        - before["5NE-ALL-COC"]
    ) == available
    assert account_balance(pool.account) == 0


def test_delegation_is_refused_beyond_what_the_locality_holds(cumbria, node, person):
    carlisle = node("5NE-CAR")
    line = BudgetLine.objects.get(commissioner=cumbria, code="SC-PBR")
    with pytest.raises(ApplicationError, match="not a sub-locality"):
        delegation_post(
            actor=person("lead.carlisle"),
            locality=carlisle,
            year=2010,
            line=line,
            amounts={node("5NE-ALL-WOR"): 100},
        )
    with pytest.raises(PermissionDenied):
        delegation_post(
            actor=person("lead.carlisle"),
            locality=node("5NE-ALL"),
            year=2010,
            line=line,
            amounts={node("5NE-ALL-WOR"): 100},
        )
    with pytest.raises(ApplicationError, match="would overdraw"):
        delegation_post(
            actor=person("lead.allerdale"),
            locality=node("5NE-ALL"),
            year=2010,
            line=line,
            amounts={node("5NE-ALL-WOR"): 100},
        )
