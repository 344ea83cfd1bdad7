"""A practice member sees its own practice beside anonymised peers; a lead GP sees names."""

import pytest

from referrals.models import ReferralImportKind
from tests.referrals.conftest import import_rows, referral_rows

pytestmark = pytest.mark.django_db

URL = "/referrals/comparison/?measure=130&period=2010-Q1&peers=5NE-CAR"


@pytest.fixture
def carlisle(cumbria, person, node):
    from budgets.models import Provider

    Provider.objects.get_or_create(
        commissioner=cumbria, code="RNL", defaults={"name": "North Cumbria", "kind": "nhs_trust"}
    )
    rows = (
        referral_rows("A82015", 20, provider="RNL")
        + referral_rows("A82016", 90, provider="RNL", start=20)
        + referral_rows("A82017", 40, provider="RNL", start=110)
    )
    assert (
        import_rows(person("finance"), cumbria, ReferralImportKind.REFERRALS, rows).status
        == "complete"
    )


def test_a_practice_member_cannot_see_other_practices_names(carlisle, client, person):
    client.force_login(person("practice.a82015"))
    html = client.get(URL).content.decode()

    assert "Warwick Road Surgery" in html  # its own
    assert "St Paul&#x27;s Medical Practice" not in html and "A82016" not in html
    assert "Brunswick House" not in html and "A82017" not in html
    assert "Practice A" in html and "Practice B" in html
    assert "Open a peer review" not in html
    exported = client.get(URL + "&export=csv").content.decode()
    assert "A82016" not in exported and "St Paul" not in exported and "Practice A" in exported


def test_the_api_hides_other_practices_codes_from_a_practice_member(carlisle, api, person):
    rows = (
        api(person("practice.a82015"))
        .get(
            "/api/referrals/comparison/",
            {"measure": "130", "period": "2010-Q1", "peers": "5NE-CAR"},
        )  # fmt: skip
        .json()["rows"]
    )

    named = [r for r in rows if r["named"]]
    assert [(r["label"], r["code"], r["own"]) for r in named] == [
        ("Warwick Road Surgery", "A82015", True)
    ]
    assert all(r["code"] is None and r["label"].startswith("Practice ") for r in rows if not
               r["named"])  # fmt: skip
    # "Practice A" is the highest rate shown: labels follow the page's order, not the codes.
    assert rows[0]["label"] == "Practice A"


def test_a_lead_gp_sees_every_practice_by_name(carlisle, client, person):
    client.force_login(person("lead.carlisle"))
    html = client.get(URL).content.decode()

    assert "St Paul&#x27;s Medical Practice" in html and "A82016" in html
    assert "Warwick Road Surgery" in html and "Practice A" not in html


def test_a_practice_member_sees_only_its_own_trend(carlisle, client, person):
    client.force_login(person("practice.a82015"))

    assert client.get("/referrals/practices/A82015/trend/?measure=130").status_code == 200
    assert client.get("/referrals/practices/A82016/trend/?measure=130").status_code == 404
