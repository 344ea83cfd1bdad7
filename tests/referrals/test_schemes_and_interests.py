"""Local schemes' savings against tariff; interests, conflicts, justifications, the register."""

import datetime as dt

import pytest

from budgets.models import Provider
from consortia.errors import ApplicationError
from referrals.selectors import scheme_savings
from referrals.services import interest_declare, scheme_activity_record, scheme_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def gpsi(cumbria):
    return Provider.objects.create(
        commissioner=cumbria, code="GPSI1", name="Carlisle GPSI eyes", kind="gpsi"
    )


def _register(person, node, gpsi, **extra):
    return scheme_register(
        actor=person("lead.carlisle"),
        commissioning_node=node("5NE-CAR"),
        name="GPSI ophthalmology",
        kind="gpsi",
        provider=gpsi,
        started_on=dt.date(2009, 8, 1),
        price_per_case=60_00,
        tariff_price=103_00,
        tariff_description="130 OPFA",
        investment=1_000_00,
        **extra,
    )


def test_savings_against_the_tariff_replaced(person, node, gpsi):
    scheme = _register(person, node, gpsi)
    scheme_activity_record(actor=person("lead.carlisle"), scheme=scheme, year=2010, month=1,
                           cases=100)  # fmt: skip
    scheme_activity_record(actor=person("lead.carlisle"), scheme=scheme, year=2010, month=2,
                           cases=50, cost=2_500_00)  # fmt: skip

    row = next(r for r in scheme_savings(user=person("lead.carlisle")) if r.scheme == scheme)

    # 150 cases at £103 = £15,450; cost £6,000 + £2,500 = £8,500: saving £6,950, 55.0%.
    assert (row.cases, row.cost, row.tariff_cost) == (150, 8_500_00, 15_450_00)
    assert row.saving == 6_950_00 and str(row.percent_of_tariff) == "55.0"
    assert row.net_saving == 5_950_00


def test_an_interest_of_a_decision_maker_requires_a_justification(person, node, gpsi, client):
    interest_declare(actor=person("lead.carlisle"), provider=gpsi, kind="financial",
                     nature="Partner at the host practice", declared_on=dt.date(2009, 6, 1))  # fmt: skip

    with pytest.raises(ApplicationError, match="good medical reason") as refused:
        _register(person, node, gpsi)
    assert refused.value.extra["conflicts"][0]["holder"].startswith("Dr Clare Carlisle")

    scheme = _register(person, node, gpsi, justification="Waits fell from 14 weeks to 3.")
    row = next(r for r in scheme_savings(user=person("lead.carlisle")) if r.scheme == scheme)
    assert not row.needs_justification and len(row.conflicts) == 1
    public = client.get("/referrals/register/").content.decode()  # no login
    assert "Partner at the host practice" in public and "Waits fell from 14 weeks to 3." in public
    assert client.get("/api/referrals/register/").json()["conflicts"][0]["justification"] == (
        "Waits fell from 14 weeks to 3."
    )


def test_an_interest_declared_later_flags_the_scheme_until_justified(person, node, gpsi, client):
    scheme = _register(person, node, gpsi)
    interest_declare(actor=person("practice.a82015"), provider=gpsi, kind="financial",
                     nature="Employs the GPSI", practice=node("A82015"),
                     declared_on=dt.date(2010, 1, 1))  # fmt: skip
    client.force_login(person("lead.carlisle"))

    assert "Justification needed" in client.get("/referrals/schemes/").content.decode()
    client.post(f"/referrals/schemes/{scheme.pk}/justify/", {"justification": "Only provider"})
    assert "Justification needed" not in client.get("/referrals/schemes/").content.decode()


def test_another_localitys_interest_is_no_conflict(person, node, gpsi):
    interest_declare(actor=person("lead.eden"), provider=gpsi, kind="personal",
                     nature="Friend of the GPSI", declared_on=dt.date(2009, 1, 1))  # fmt: skip

    _register(person, node, gpsi)

    assert scheme_savings(user=person("lead.carlisle"))[0].conflicts == []


def test_a_lead_gp_registers_only_in_their_own_locality(person, node, gpsi):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        scheme_register(actor=person("lead.carlisle"), commissioning_node=node("5NE-EDE"),
                        name="x", kind="gpsi", provider=gpsi, started_on=dt.date(2010, 1, 1),
                        tariff_price=1, tariff_description="x")  # fmt: skip


def test_schemes_page_and_exports(person, node, gpsi, client):
    scheme = _register(person, node, gpsi)
    scheme_activity_record(actor=None, scheme=scheme, year=2010, month=1, cases=10)
    client.force_login(person("finance"))

    html = client.get(f"/referrals/schemes/{scheme.pk}/").content.decode()
    assert "operating at 58.3% of the hospital price" in html
    csv_text = client.get("/referrals/schemes/?export=csv").content.decode()
    assert "GPSI ophthalmology,Carlisle,GPSI1" in csv_text
    assert client.get("/api/referrals/schemes/").json()[0]["saving"] == 430_00
