"""Property: any sequence of allocations, virements, reversals and delegations keeps every
transaction balanced and the commissioner's total unchanged."""

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgets.delegation.services import delegation_post, virement_approve, virement_request
from budgets.ledger.services import account_get_or_create, ledger_post, transaction_reverse
from budgets.models import Account, AccountPurpose, BudgetLine, Leg, Transaction
from consortia.errors import ApplicationError
from consortia.models import Organisation, User

pytestmark = pytest.mark.django_db

LOCALITIES = ["5NE-ALL", "5NE-CAR", "5NE-EDE"]
LINES = ["PRESC", "COMM"]
operation = st.one_of(
    st.tuples(
        st.just("allocate"),
        st.sampled_from(LOCALITIES),
        st.sampled_from(LINES),
        st.integers(1, 5_000_000),
    ),
    st.tuples(
        st.just("vire"),
        st.sampled_from(LOCALITIES),
        st.sampled_from(LOCALITIES),
        st.integers(1, 2_000_000),
    ),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(
        st.just("delegate"),
        st.sampled_from(["5NE-ALL-WOR", "5NE-ALL-KES"]),
        st.integers(1, 1_000_000),
    ),
)


def budget_total() -> int:
    return (
        Leg.objects.exclude(account__purpose=AccountPurpose.FUNDING).aggregate(s=Sum("amount"))["s"]
        or 0
    )


def funding_balance() -> int:
    return (
        Leg.objects.filter(account__purpose=AccountPurpose.FUNDING).aggregate(s=Sum("amount"))["s"]
        or 0
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_any_sequence_keeps_the_ledger_balanced_and_the_total_unchanged(cumbria, operations):
    with transaction.atomic():
        coo, finance = User.objects.get(username="coo"), User.objects.get(username="finance")
        orgs = {
            o.code: o
            for o in Organisation.objects.filter(
                code__in=[*LOCALITIES, "5NE", "5NE-ALL-WOR", "5NE-ALL-KES"]
            )
        }
        lines = {line.code: line for line in BudgetLine.objects.filter(commissioner=cumbria)}

        def account(code, line="PRESC", purpose=AccountPurpose.BUDGET):
            return account_get_or_create(
                organisation=orgs[code], year=2010, line=lines[line], purpose=purpose
            )

        funding = account("5NE", "RRL", AccountPurpose.FUNDING)
        first_txn = Transaction.objects.order_by("-id").values_list("id", flat=True).first()
        for op in operations:
            total_before = budget_total()
            allocated = 0
            try:
                if op[0] == "allocate":
                    _, loc, line, amount = op
                    ledger_post(
                        legs=[(funding, -amount), (account(loc, line), amount)],
                        kind="allocation",
                        memo="in-year allocation",
                        actor=None,
                    )
                    allocated = amount
                elif op[0] == "vire":
                    _, src, dst, amount = op
                    v = virement_request(
                        actor=finance,
                        source=account(src, "PRESC"),
                        target=account(dst, "COMM"),
                        amount=amount,
                        reason="p",
                    )
                    if src == dst:
                        virement_approve(virement=v, actor=coo)
                    else:
                        virement_approve(virement=v, actor=None, senate_decision="senate")
                elif op[0] == "reverse":
                    candidates = list(
                        Transaction.objects.filter(id__gt=first_txn)
                        .exclude(kind="reversal")
                        .order_by("id")
                    )
                    if candidates:
                        txn = candidates[op[1] % len(candidates)]
                        allocated = -sum(
                            leg.amount
                            for leg in txn.legs.all()
                            if leg.account.purpose != AccountPurpose.FUNDING
                        )
                        transaction_reverse(transaction=txn, reason="mistake", actor=finance)
                else:
                    _, sub, amount = op
                    delegation_post(
                        actor=finance,
                        locality=orgs["5NE-ALL"],
                        year=2010,
                        line=lines["PRESC"],
                        amounts={orgs[sub]: amount},
                    )
            except ApplicationError:
                allocated = 0  # refused (e.g. would overdraw): nothing may have changed
            assert budget_total() == total_before + allocated
            assert budget_total() == -funding_balance()
        per_txn = Leg.objects.values("transaction_id").annotate(s=Sum("amount"))
        assert all(row["s"] == 0 for row in per_txn)
        assert Account.objects.count() > 0
        transaction.set_rollback(True)
