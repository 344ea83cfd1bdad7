"""Payment on information: activity held until the GP has the letter, released when it arrives;
the reconciliation shows paid and held separately, to the penny."""

import pytest

from budgets.activity.services.reconciliation import reconciliation_start
from referrals.models import InformationEvent, ReferralImportKind
from referrals.selectors import held_by_locality, held_payments
from referrals.services import provider_payment_on_information_set
from tests.budgets.scenario import HOSPITAL_HEADER, upload
from tests.referrals.conftest import import_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(tic):
    """April 2010 (M1): North Practice had 10 ophthalmology first attendances at Riverside
    (£50 each: £500), South Practice 3 elective spells (£100 each: £300). Riverside owes North's
    GPs four clinic letters: one came in 2 days, one in 10 days (late), two never came."""
    provider_payment_on_information_set(
        actor=tic["finance"], provider=tic["provider"], enabled=True
    )
    record = upload(
        tic, HOSPITAL_HEADER + "RXX,Y00001,M1,OPFA,130,10,,Y,N\nRXX,Y00002,M1,EL,AA11A,3,,Y,N\n"
    )
    assert record.status == "complete"
    events = [
        ["RXX", "L1", "Y00001", "clinic_letter", "130", "2010-04-01 10:00", "2010-04-03 10:00", ""],
        ["RXX", "L2", "Y00001", "clinic_letter", "130", "2010-04-02 10:00", "2010-04-12 10:00", ""],
        ["RXX", "L3", "Y00001", "clinic_letter", "130", "2010-04-05 10:00", "", ""],
        ["RXX", "L4", "Y00001", "clinic_letter", "130", "2010-04-06 10:00", "", ""],
    ]
    assert import_rows(
        tic["finance"], tic["icb"], ReferralImportKind.INFORMATION, events
    ).status == ("complete")
    reconciliation_start(
        actor=tic["finance"], commissioner=tic["icb"], year=2010, month=1, trigger="page",
        run_now=True,
    )  # fmt: skip
    return tic


def test_payment_is_held_in_proportion_to_missing_information(held):
    rows = held_payments(commissioner=held["icb"], year=2010, month=1)

    assert [(r.provider.code, r.month, r.cost, r.held, r.payable) for r in rows] == [
        ("RXX", 1, 800_00, 250_00, 550_00)  # 2 of 4 letters missing: half of North's £500
    ]
    assert rows[0].released == 125_00  # the late letter's share was held, then released
    assert held_by_locality(commissioner=held["icb"], year=2010, month=1) == {
        held["north"].pk: 250_00,
        held["south"].pk: 0,
    }


def test_the_reconciliation_shows_paid_and_held_separately(held, client):
    client.force_login(held["finance"])
    html = client.get("/positions/2010/1/TIC/").content.decode()

    total = html.split('data-testid="position-total"')[1].split("</dl>")[0]
    assert "£800.00 spent" in total
    assert "£250.00 held until GPs have the clinic letters and discharge summaries" in total
    assert "£550.00 payable" in total
    response = client.get("/api/positions/2010/1/TIC/").json()
    held_rows = {(h["organisation"], h["line"]): h["held"] for h in
                 response["held_pending_information"]}  # fmt: skip
    assert response["total"]["ytd_actual"] == 800_00
    assert held_rows[("TIC", None)] == 250_00
    assert held_rows[("TIC", "SC-PBR")] == 250_00
    assert held_rows[("TIC-N", None)] == 250_00 and held_rows[("TIC-S", None)] == 0


def test_payment_is_released_when_the_information_arrives(held, api):
    event = InformationEvent.objects.get(reference="L3")

    response = api(held["finance"]).post(
        f"/api/referrals/information-events/{event.pk}/received/",
        {"received_at": "2010-05-20T09:00:00+01:00"},
        format="json",
    )

    assert response.status_code == 200 and response.json()["delay_hours"] == 1079
    rows = held_payments(commissioner=held["icb"], year=2010, month=1)
    assert (rows[0].held, rows[0].payable, rows[0].released) == (125_00, 675_00, 250_00)
    positions = api(held["finance"]).get("/api/positions/2010/1/TIC-N/").json()
    assert positions["total"]["ytd_actual"] == 500_00
    assert {h["held"] for h in positions["held_pending_information"] if h["line"] is None} == {
        125_00
    }


def test_no_payment_is_held_when_the_contract_does_not_pay_on_information(held):
    provider_payment_on_information_set(
        actor=held["finance"], provider=held["provider"], enabled=False
    )

    assert held_payments(commissioner=held["icb"], year=2010, month=1) == []


def test_only_finance_switches_payment_on_information(held):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        provider_payment_on_information_set(
            actor=held["lead"], provider=held["provider"], enabled=False
        )


def test_the_held_page_lists_providers_and_months(held, client):
    client.force_login(held["finance"])
    html = client.get("/referrals/held/?year=2010&month=1").content.decode()

    assert "Riverside Trust (RXX)" in html and "£250.00" in html
    csv_text = client.get("/referrals/held/?year=2010&month=1&export=csv").content.decode()
    assert csv_text.splitlines()[1].startswith("Riverside Trust,RXX,M1 Apr 2010,800.00,250.00")
