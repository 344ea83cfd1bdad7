"""Fixtures for the budgets pages and API: the Cumbria 2010-11 budgets demo and helpers."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from budgets.allocation.services import model_run_create
from budgets.models import Account, AccountPurpose, ModelRun, RunStatus, Virement
from tests.budgets.budgets_demo import budgets_demo_load


@pytest.fixture
def budgets_demo(cumbria):
    """The approved 2010-11 model run, with Allerdale's delegation and the demo virements
    (#1 £40,000 approved, #2 £120,000 from Carlisle's PbR to prescribing awaiting approval)."""
    run = ModelRun.objects.filter(commissioner=cumbria, year=2010).order_by("created_at").first()
    if run is None or run.status != RunStatus.APPROVED or not Virement.objects.exists():
        run = budgets_demo_load()  # calls budgets.demo.cumbria_budgets_load()
    return run


@pytest.fixture
def account(budgets_demo, node):
    """A 2010-11 budget account by organisation code and line code."""

    def get(org, line, purpose=AccountPurpose.BUDGET):
        return Account.objects.select_related("organisation", "line").get(
            organisation=node(org), year=2010, line__code=line, purpose=purpose
        )

    return get


@pytest.fixture
def pages(client, person, budgets_demo):
    """The test client, logged in as a demo user."""

    def log_in(username):
        client.force_login(person(username))
        return client

    return log_in


@pytest.fixture
def api(person, budgets_demo):
    def client_for(username):
        client = APIClient()
        client.force_authenticate(person(username))
        return client

    return client_for


@pytest.fixture
def proposed_run(budgets_demo, cumbria):
    """A proposed 2011-12 run (no 2010 baselines recorded, so straight to target)."""

    def create(envelopes=None):
        return model_run_create(
            actor=None,
            actor_label="test",
            commissioner=cumbria,
            year=2011,
            parameters=budgets_demo.parameters,
            envelopes=envelopes
            or {"SC-PBR": 100_000_000_00, "PRESC": 30_000_000_01, "CHILD": 9_999_999_99},
            population_date=dt.date(2013, 6, 30),
        )

    return create
