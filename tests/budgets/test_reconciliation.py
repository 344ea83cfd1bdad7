"""Reconciliation against a small dataset worked out by hand; idempotent; frozen closed months;
alerts once per status change; the working-day timetable.

Tiny ICB (tests/budgets/scenario.py): flat budgets, so the phased budget is a twelfth a month.
Activity:  M1  North: 3 EL AA11A at £100 = £300;     South: 10 OPFA 130 at £50 = £500
           M2  North: 15 EL AA11A = £1,500;          South: 20 OPFA 130 = £1,000
           Prescribing North £250 in M1 and M2.  Community South £100 (M1), £160 (M2).
At M2:
  North contracted PbR: budget £12,000, YTD budget £2,000, YTD actual £1,800, variance -£200
    (-10.00%), forecast (run-rate 1,800 × 12 / 2) £10,800: green.
  North prescribing: £2,400, YTD budget £400, actual £500 (+25.00%), forecast £3,000, +£600
    = 25% of budget: red.   North in all: forecast £13,800 against £14,400: green.
  South community: £1,200, YTD £200, actual £260, forecast £1,560 (+30%): red.
  South contracted PbR: actual £1,500, forecast £9,000: green.  Tiny ICB: YTD actual £4,060.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from budgets.activity.services.reconciliation import (
    _reconciliation_create,
    month_close,
    month_reopen,
    reconcile_actuals,
    reconciliation_start,
    working_day_after_month_end,
)
from budgets.models import ActivityRow, ActualSummary, Position, RagStatus
from consortia.errors import ApplicationError
from consortia.imports.models import Upload
from consortia.models import Notice
from tests.budgets.scenario import HOSPITAL_HEADER, build, upload

pytestmark = pytest.mark.django_db


def load_months(s):
    upload(
        s,
        HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,3,,Y,N\nRXX,Y00002,M1,OPFA,130,10,,Y,N\n",
        month=1,
        name="h1.csv",
    )
    upload(
        s,
        HOSPITAL_HEADER + "RXX,Y00001,M2,EL,AA11A,15,,Y,N\nRXX,Y00002,M2,OPFA,130,20,,Y,N\n",
        month=2,
        name="h2.csv",
    )
    for month, community in ((1, 100), (2, 160)):  # each file holds one month
        upload(
            s,
            f"practice_code,month,items,nic,actual_cost\nY00001,M{month},10,260,250\n",
            kind="prescribing",
            month=month,
            provider=False,
            name=f"p{month}.csv",
        )
        upload(
            s,
            f"organisation_code,service,month,cost\nTIC-S,District nursing,M{month},{community}\n",
            kind="community",
            month=month,
            provider=False,
            name=f"c{month}.csv",
        )


@pytest.fixture
def s(cumbria):
    scenario = build()
    load_months(scenario)
    return scenario


def reconcile(s, month=2):
    return reconciliation_start(
        actor=s["finance"],
        commissioner=s["icb"],
        year=2010,
        month=month,
        trigger="page",
        run_now=True,
    )


def figures(run):
    """Every position of a run as comparable tuples."""
    return sorted(
        (
            p.organisation.code,
            p.line.code if p.line else "ALL",
            p.annual_budget,
            p.ytd_budget,
            p.ytd_actual,
            p.variance,
            str(p.variance_percent),
            p.forecast_outturn,
            p.status,
        )
        for p in Position.objects.filter(run=run).select_related("organisation", "line")
    )


def position(run, org, line=None):
    return (
        Position.objects.get(run=run, organisation__code=org, line__code=line)
        if line
        else Position.objects.get(run=run, organisation__code=org, line__isnull=True)
    )


def test_positions_match_the_hand_worked_figures(s):
    run = reconcile(s)

    pbr = position(run, "TIC-N", "SC-PBR")
    assert (pbr.annual_budget, pbr.ytd_budget, pbr.ytd_actual, pbr.variance) == (
        12_000_00,
        2_000_00,
        1_800_00,
        -200_00,
    )
    assert str(pbr.variance_percent) == "-10.00"
    assert (pbr.forecast_run_rate, pbr.forecast_profile, pbr.forecast_outturn) == (
        10_800_00,
        10_800_00,
        10_800_00,
    )
    assert pbr.status == RagStatus.GREEN
    presc = position(run, "TIC-N", "PRESC")
    assert (presc.ytd_actual, presc.variance, presc.forecast_outturn, presc.status) == (
        500_00,
        100_00,
        3_000_00,
        RagStatus.RED,
    )
    assert position(run, "TIC-N").forecast_outturn == 13_800_00
    assert position(run, "TIC-N").status == RagStatus.GREEN
    comm = position(run, "TIC-S", "COMM")
    assert (comm.ytd_actual, comm.forecast_outturn, comm.status) == (260_00, 1_560_00, "red")
    assert position(run, "TIC-S", "SC-PBR").forecast_outturn == 9_000_00
    assert position(run, "TIC").ytd_actual == 4_060_00
    assert run.rows == 8 and run.localities_done == 2


def test_running_twice_gives_identical_figures_and_never_double_counts(s):
    first, second = reconcile(s), reconcile(s)

    assert figures(first) == figures(second)
    assert (
        sum(ActualSummary.objects.filter(locality=s["north"]).values_list("actual", flat=True))
        == 2_300_00
    )


def test_a_run_that_crashed_halfway_then_reruns_gives_the_same_figures(s):
    clean = figures(reconcile(s))
    crashed = _reconciliation_create(
        actor=None, commissioner=s["icb"], year=2010, month=2, trigger="schedule"
    )
    reconcile_actuals(run=crashed)  # ... and the worker died before the positions

    assert figures(reconcile(s)) == clean


def test_a_closed_month_is_frozen_and_late_data_is_held_until_reopened(s):
    reconcile(s)
    north_m1 = list(
        ActualSummary.objects.filter(locality=s["north"], month=1).values_list(
            "line__code", "actual"
        )
    )
    month_close(actor=s["finance"], commissioner=s["icb"], year=2010, month=1)

    # Late activity for M1 comes in M1's own file, a revision of the provider's M1 file.
    late = upload(
        s,
        HOSPITAL_HEADER
        + "RXX,Y00001,M1,EL,AA11A,3,,Y,N\nRXX,Y00002,M1,OPFA,130,10,,Y,N\n"
        + "RXX,Y00001,M1,OPFA,130,4,,Y,N\n",
        month=1,
        name="late.csv",
        replaces=Upload.objects.get(original_name="h1.csv"),
    )
    run = reconcile(s)

    assert late.rows_held == 3
    assert (
        list(
            ActualSummary.objects.filter(locality=s["north"], month=1).values_list(
                "line__code", "actual"
            )
        )
        == north_m1
    )
    assert position(run, "TIC-N", "SC-PBR").ytd_actual == 1_800_00
    with pytest.raises(ApplicationError, match="closed"):
        reconcile(s, month=1)
    with pytest.raises(ApplicationError, match="Say why"):
        month_reopen(actor=s["finance"], commissioner=s["icb"], year=2010, month=1, reason="")

    month_reopen(
        actor=s["finance"],
        commissioner=s["icb"],
        year=2010,
        month=1,
        reason="Late letters from Riverside",
    )
    assert not ActivityRow.objects.filter(held=True).exists()
    assert position(reconcile(s), "TIC-N", "SC-PBR").ytd_actual == 2_000_00  # + 4 × £50


def test_only_finance_closes_months(s):
    with pytest.raises(PermissionDenied, match="Only PCT finance"):
        month_close(actor=s["lead"], commissioner=s["icb"], year=2010, month=1)


def test_alerts_fire_once_per_status_change(s, mailoutbox):
    north_lead = s["lead"]
    reconcile(s)
    reconcile(s)

    assert Notice.objects.filter(user=north_lead).count() == 0  # North in all is green
    # North's prescribing doubles: its total forecast goes over budget.
    upload(
        s,
        "practice_code,month,items,nic,actual_cost\nY00001,M2,10,260,250\nY00001,M2,10,5000,5000\n",
        kind="prescribing",
        month=2,
        provider=False,
        name="presc-revised.csv",
        replaces=Upload.objects.get(original_name="p2.csv"),
    )
    reconcile(s)
    reconcile(s)

    notices = Notice.objects.filter(user=north_lead)
    assert notices.count() == 1
    assert notices.get().subject == "North: overspending at M2 May 2010"
    assert Notice.objects.filter(user=s["finance"], subject__startswith="North").count() == 1


def test_reconciliation_starts_on_working_day_n_after_month_end_skipping_bank_holidays():
    # December 2010 (M9) ends on a Friday; 3 January 2011 is the New Year bank holiday.
    assert working_day_after_month_end(year=2010, month=9, n=1) == dt.date(2011, 1, 4)
    assert working_day_after_month_end(year=2010, month=9, n=3) == dt.date(2011, 1, 6)
    # April 2011 (M1 of 2011-12) ends on a Saturday; Monday 2 May is the early May bank holiday.
    assert working_day_after_month_end(year=2011, month=1, n=1) == dt.date(2011, 5, 3)


def test_reconciled_spend_counts_as_spent_when_money_moves(s):
    """North's contracted PbR: £12,000 budget, £1,800 spent by M2 (hand-worked above), so
    £10,200 is free: a virement of £10,500 is refused, one of £10,200 goes through."""
    from budgets.delegation.services import virement_approve, virement_request
    from budgets.ledger.selectors import account_committed, account_spent
    from budgets.models import Account

    reconcile(s)
    source = Account.objects.get(organisation=s["north"], line=s["lines"]["SC-PBR"], year=2010)
    target = Account.objects.get(organisation=s["north"], line=s["lines"]["PRESC"], year=2010)
    assert account_spent(source) == account_committed(source) == 1_800_00

    too_much = virement_request(
        actor=s["finance"],
        source=source,
        target=target,
        amount=10_500_00,
        reason="Prescribing pressure",
    )
    with pytest.raises(ApplicationError, match="below what is committed"):
        virement_approve(virement=too_much, actor=None, senate_decision="Senate minute 1")
    enough = virement_request(
        actor=s["finance"],
        source=source,
        target=target,
        amount=10_200_00,
        reason="Prescribing pressure",
    )
    virement_approve(virement=enough, actor=None, senate_decision="Senate minute 2")
