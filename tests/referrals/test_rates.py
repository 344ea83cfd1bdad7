"""Referral rates per 1,000 patients, crude and age-weighted, worked by hand, and the API."""

import datetime as dt

import pytest

from referrals.models import ReferralImportKind
from referrals.periods import Period
from referrals.selectors import comparison
from referrals.services import age_weighting_record
from tests.referrals.conftest import import_rows, referral_rows

pytestmark = pytest.mark.django_db

WEIGHTS = {"0-4": "0.5", "5-14": "1", "15-24": "1", "25-34": "1", "35-44": "1", "45-54": "1",
           "55-64": "1", "65-74": "1", "75+": "3.0"}  # fmt: skip


@pytest.fixture
def referred(tic):
    """April-June 2010 (Q1): North 30 ophthalmology referrals, South 20."""
    age_weighting_record(
        actor=None,
        commissioner=tic["icb"],
        measure="130",
        effective_from=dt.date(2010, 4, 1),
        weights=WEIGHTS,
        source="test",
    )
    rows = referral_rows("Y00001", 30, month=4) + referral_rows("Y00002", 20, start=30, month=6)
    assert import_rows(tic["finance"], tic["icb"], ReferralImportKind.REFERRALS, rows).status == (
        "complete"
    )
    return tic


def test_age_weighted_rate_worked_by_hand(referred):
    data = comparison(
        user=referred["finance"],
        commissioner=referred["icb"],
        measure="130",
        period=Period(2010, 1),
    )
    north, south = (next(r for r in data.rows if r.code == code) for code in ("Y00001", "Y00002"))

    # North: 1,000 patients; weighted 600 × 0.5 + 400 × 3.0 = 1,500. 30 referrals in a quarter
    # is 120 a year: crude 120 per 1,000, weighted 120 / 1,500 × 1,000 = 80.
    assert north.population == 1000 and north.weighted_population == 1500
    assert north.crude_rate == pytest.approx(120.0)
    assert north.weighted_rate == pytest.approx(80.0)
    # South: 2,000 patients aged 25-34 (weight 1): 20 a quarter, 80 a year: 40 per 1,000 both ways.
    assert south.crude_rate == pytest.approx(40.0) and south.weighted_rate == pytest.approx(40.0)
    # Peer rate (weighted): 200 a year ÷ 3,500 weighted patients × 1,000 = 57.14.
    assert data.funnel.target == pytest.approx(200 / 3500 * 1000)
    assert north.rate == pytest.approx(80.0)


def test_crude_comparison_uses_registered_patients(referred):
    data = comparison(
        user=referred["finance"],
        commissioner=referred["icb"],
        measure="130",
        period=Period(2010, 1),
        weighted=False,
    )

    assert data.funnel.target == pytest.approx(200 / 3000 * 1000)
    assert {r.code: round(r.rate, 2) for r in data.rows} == {"Y00001": 120.0, "Y00002": 40.0}


def test_the_api_gives_the_same_rates(referred, api):
    response = api(referred["finance"]).get(
        "/api/referrals/comparison/", {"measure": "130", "period": "2010-Q1"}
    )

    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json()["rows"]}
    assert rows["Y00001"]["weighted_rate"] == pytest.approx(80.0)
    assert rows["Y00001"]["crude_rate"] == pytest.approx(120.0)
    assert response.json()["period_label"].startswith("2010-11 Q1")


def test_the_page_shows_the_funnel_and_its_table_and_exports(referred, client):
    client.force_login(referred["finance"])
    html = client.get("/referrals/comparison/?measure=130&period=2010-Q1").content.decode()

    assert 'data-chart="funnel"' in html and "chart.umd.min.js" in html
    assert "The table behind the chart" in html and "North Practice" in html
    csv_text = client.get(
        "/referrals/comparison/?measure=130&period=2010-Q1&export=csv"
    ).content.decode()
    header, *lines = csv_text.splitlines()
    assert header.startswith("practice,code,locality,registered patients")
    assert any(line.startswith("North Practice,Y00001") for line in lines)
    xlsx = client.get("/referrals/comparison/?measure=130&period=2010-Q1&export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
