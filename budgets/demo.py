"""The Cumbria budgets demo: lines, model parameters, the 2010-11 allocation, Allerdale's
delegation with a risk pool, and virements. Figures are demo figures, chosen where no public
source exists (say so in the UI; see README "Budgets: figures we chose")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from budgets.allocation.models import ModelRun, ModelRunPractice, RunStatus
from budgets.allocation.services import (
    allocation_parameters_create,
    baseline_record,
    model_run_create,
)
from budgets.delegation.models import RiskPool, Virement
from budgets.delegation.services import (
    delegation_post,
    risk_pool_create,
    scheme_of_delegation_set,
    virement_approve,
    virement_request,
)
from budgets.ledger.models import BudgetLine, LineCategory
from budgets.ledger.services import budget_line_create, phasing_profile_set
from consortia.errors import ApplicationError
from consortia.models import Organisation, User
from consortia.money import split_exactly

LOADER = "demo loader: budgets"
YEAR = 2010

# code, name, group, category, 2010-11 envelope in pounds (demo figures, chosen)
CUMBRIA_LINES = [
    ("RRL", "Revenue resource limit (funding)", "Funding", LineCategory.FUNDING, None),
    ("SC-PBR", "Contracted PbR activity", "Secondary care", LineCategory.DELEGATED, 265_000_000),
    ("SC-NCA", "Non-contract PbR activity", "Secondary care", LineCategory.DELEGATED, 14_500_000),
    ("SC-IS", "Independent sector", "Secondary care", LineCategory.DELEGATED, 9_800_000),
    (
        "SC-EXCL",
        "PbR-excluded drugs and devices",
        "Secondary care",
        LineCategory.DELEGATED,
        21_700_000,
    ),
    ("PRESC", "Practice prescribing", "Prescribing", LineCategory.DELEGATED, 88_400_000),
    (
        "COMM",
        "Community services (incl. Care Closer to Home)",
        "Community services",
        LineCategory.DELEGATED,
        72_600_000,
    ),
    ("CHILD", "Children's services", "Held collectively", LineCategory.COLLECTIVE, 31_200_000),
    ("MH", "Mental health", "Held collectively", LineCategory.COLLECTIVE, 64_300_000),
    ("GPCON", "GP national contract values", "Memorandum", LineCategory.MEMORANDUM, 58_900_000),
]
GROWTH_2010_11 = Decimal("1.055")  # 2010-11 PCT revenue uplift (5.5% average)

AGE_WEIGHTS = {  # chosen: the shape of an HCHS age-cost curve, 25-34 women = 1.00
    "M": {
        "0-4": "1.05",
        "5-14": "0.45",
        "15-24": "0.55",
        "25-34": "0.60",
        "35-44": "0.70",
        "45-54": "0.90",
        "55-64": "1.30",
        "65-74": "2.10",
        "75+": "3.60",
    },
    "F": {
        "0-4": "0.95",
        "5-14": "0.45",
        "15-24": "0.85",
        "25-34": "1.00",
        "35-44": "0.85",
        "45-54": "0.95",
        "55-64": "1.20",
        "65-74": "1.85",
        "75+": "3.40",
    },
}
SPARSITY = {
    "5NE-EDE": "1.030",
    "5NE-SLA": "1.020",
    "5NE-ALL": "1.015",
    "5NE-COP": "1.015",
    "5NE-CAR": "1.000",
    "5NE-BAR": "1.000",
}
SOURCES = (
    "Age weights: CHOSEN for the demo, shaped like the Department of Health's HCHS age-cost "
    "curve (older people and the very young cost more per head; women 15-44 include maternity); "
    "the published 2009-11 weights were not available to us. "
    "Need weight 0.25: CHOSEN; applied to each practice's IMD 2010 district score relative to "
    "the county mean (DCLG, OGL). Market forces factor 1.000 for every locality: CHOSEN "
    "(Cumbria is one MFF area, so the PCT's factor does not differ between localities). "
    "Sparsity: CHOSEN, +3% Eden, +2% South Lakeland, +1.5% Allerdale and Copeland, none for "
    "Carlisle and Barrow (the dense towns). Pace of change 1.5%: CHOSEN."
)
# A winter-heavy profile for non-contract activity (demo), percent of the year by month.
SEASONAL = ["7.5", "7.5", "7.6", "8.0", "7.8", "8.0", "8.4", "8.7", "9.4", "9.5", "8.8", "8.8"]


def _lines(commissioner: Organisation) -> dict[str, BudgetLine]:
    return {
        code: budget_line_create(
            actor=None,
            actor_label=LOADER,
            commissioner=commissioner,
            code=code,
            name=name,
            group=group,
            category=category,
            order=i,
        )
        for i, (code, name, group, category, _) in enumerate(CUMBRIA_LINES)
    }


@transaction.atomic
def cumbria_budgets_load() -> ModelRun:
    """Lines, parameters and the 2010-11 model run, left proposed: the clinical senate approves
    it (senate.demo), then `cumbria_budgets_after_allocation` delegates and vires. Idempotent: a
    second call finds the 2010-11 run and changes nothing."""
    cumbria = Organisation.objects.get(code="5NE")
    lines = _lines(cumbria)
    phasing_profile_set(
        actor=None,
        actor_label=LOADER,
        line=lines["SC-NCA"],
        year=YEAR,
        shares=SEASONAL,
        source="Demo: winter pressures",
    )
    scheme_of_delegation_set(
        actor=None,
        actor_label=LOADER,
        commissioner=cumbria,
        effective_from=dt.date(2010, 4, 1),
        limits={
            "sub_locality_lead": 10_000_00,
            "locality_lead": 50_000_00,
            "pct_finance": 100_000_00,
            "chief_operating_officer": 250_000_00,
        },
        source="Demo scheme of delegation (chosen limits)",
    )
    existing = ModelRun.objects.filter(commissioner=cumbria, year=YEAR).first()
    if existing:
        return existing

    params = allocation_parameters_create(
        actor=None,
        actor_label=LOADER,
        commissioner=cumbria,
        name="NHS Cumbria weighted capitation (demo defaults)",
        effective_from=dt.date(2010, 4, 1),
        age_weights=AGE_WEIGHTS,
        need_weight=Decimal("0.25"),
        market_forces={},
        sparsity=SPARSITY,
        pace_of_change_percent=Decimal("1.5"),
        sources=SOURCES,
    )
    envelopes = {code: pounds * 100 for code, _, _, _, pounds in CUMBRIA_LINES if pounds}
    localities = list(Organisation.objects.filter(parent=cumbria).order_by("name"))
    populations = _locality_populations(localities)
    for code, _, _, category, pounds in CUMBRIA_LINES:
        if category != LineCategory.DELEGATED:
            continue
        last_year = int(Decimal(pounds * 100) / GROWTH_2010_11)
        for locality, amount in zip(
            localities,
            split_exactly(last_year, [populations[loc.pk] for loc in localities]),
            strict=True,
        ):
            baseline_record(
                actor=None,
                actor_label=LOADER,
                locality=locality,
                year=YEAR - 1,
                line=lines[code],
                amount=amount,
                source="Synthetic demo baseline: 2010-11 envelope less 5.5% growth, "
                "split by registered population",
            )
    run = model_run_create(
        actor=None,
        actor_label=LOADER,
        commissioner=cumbria,
        year=YEAR,
        parameters=params,
        envelopes=envelopes,
        population_date=dt.date(2013, 6, 30),
    )
    return run


@transaction.atomic
def cumbria_budgets_after_allocation(run: ModelRun) -> None:
    """Once the 2010-11 allocation is posted: Allerdale's delegation with its risk pool, and the
    demo virements. Idempotent."""
    if run.status != RunStatus.APPROVED:
        raise ApplicationError(f"{run} is not approved yet: the senate approves it first.")
    lines = _lines(run.commissioner)
    allerdale = Organisation.objects.get(code="5NE-ALL")
    if not RiskPool.objects.filter(locality=allerdale, year=run.year).exists():
        _allerdale_delegation(run, lines)
    _virements(lines)


def _locality_populations(localities: list[Organisation]) -> dict[int, int]:
    from localities.selectors import practices_with_list_size

    totals = {loc.pk: 0 for loc in localities}
    practices = practices_with_list_size(Organisation.objects.all())
    for path, size in practices.values_list("path", "list_size"):
        for loc in localities:
            if path.startswith(loc.path):
                totals[loc.pk] += size or 0
    return totals


def _allerdale_delegation(run: ModelRun, lines: dict[str, BudgetLine]) -> None:
    """Allerdale delegates its whole delegated budget to its five sub-localities, by their
    weighted populations, and keeps a 2% risk pool on contracted PbR activity."""
    allerdale = Organisation.objects.get(code="5NE-ALL")
    lead = User.objects.get(username="lead.allerdale")
    subs = list(allerdale.children.filter(kind="sub_locality").order_by("code"))
    weights = {sub.pk: Decimal(0) for sub in subs}
    for row in ModelRunPractice.objects.filter(run=run, locality=allerdale).select_related(
        "practice"
    ):
        for sub in subs:
            if row.practice.path.startswith(sub.path):
                weights[sub.pk] += row.weighted_population
    from budgets.allocation.models import ModelRunLine

    for row_line in ModelRunLine.objects.filter(
        row__run=run, row__locality=allerdale, line__category=LineCategory.DELEGATED
    ):
        parts = split_exactly(row_line.proposal, [weights[s.pk] for s in subs])
        delegation_post(
            actor=lead,
            locality=allerdale,
            year=run.year,
            line=row_line.line,
            amounts=dict(zip(subs, parts, strict=True)),
            memo=f"Allerdale delegates {row_line.line.name} to its sub-localities",
        )
    if not RiskPool.objects.filter(locality=allerdale, year=run.year).exists():
        risk_pool_create(
            actor=lead,
            locality=allerdale,
            year=run.year,
            line=lines["SC-PBR"],
            percentage=Decimal("2.0"),
            return_rule="pro_rata_contribution",
            agreed_rules="Allerdale collaborative rules (demo): 2% of each sub-locality's "
            "contracted PbR budget pooled; year-end overspends covered pro rata; "
            "the rest returned pro rata to contributions.",
        )


def _virements(lines: dict[str, BudgetLine]) -> None:
    if Virement.objects.exists():
        return
    from budgets.ledger.services import account_get_or_create

    carlisle = Organisation.objects.get(code="5NE-CAR")
    lead = User.objects.get(username="lead.carlisle")

    def account(code):
        return account_get_or_create(organisation=carlisle, year=YEAR, line=lines[code])

    small = virement_request(
        actor=lead,
        source=account("SC-PBR"),
        target=account("COMM"),
        amount=40_000_00,
        reason="Fund the rapid response pilot from reduced admissions",
    )
    virement_approve(virement=small, actor=lead)  # within the lead GP's own £50,000 limit
    virement_request(
        actor=lead,
        source=account("SC-PBR"),
        target=account("PRESC"),
        amount=120_000_00,
        reason="Prescribing pressure: new NICE-approved anticoagulants",
    )
