"""A lead GP opens a peer review of an outlier, records the discussion, actions and follow-up;
the practice sees it; the next period's figures sit beside it; history is kept."""

import pytest
from django.db import IntegrityError, transaction

from consortia.errors import ApplicationError
from referrals.models import PeerReview, PeerReviewNote, ReferralImportKind
from tests.referrals.conftest import import_rows, referral_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def outlier(cumbria, person, node):
    """Every Carlisle practice refers to ophthalmology at about 20 per 1,000 a year, but St
    Paul's (A82016) at four times that in Q1 2010-11 (May); in Q2 (August) it is back in line."""
    from budgets.models import Provider
    from referrals.selectors import practice_populations

    Provider.objects.get_or_create(
        commissioner=cumbria, code="RNL", defaults={"name": "North Cumbria", "kind": "nhs_trust"}
    )
    practices = node("5NE-CAR").children.all()
    sizes = practice_populations([p.pk for p in practices], cumbria_date())
    rows, start = [], 0
    for practice in practices:
        usual = sizes[practice.pk][0] * 5 // 1000  # a quarter at 20 per 1,000 a year
        q1 = usual * 4 if practice.code == "A82016" else usual
        rows += referral_rows(practice.code, q1, provider="RNL", start=start, month=5)
        rows += referral_rows(practice.code, usual, provider="RNL", start=start + q1, month=8)
        start += q1 + usual
    assert (
        import_rows(person("finance"), cumbria, ReferralImportKind.REFERRALS, rows).status
        == "complete"
    )


def cumbria_date():
    import datetime as dt

    return dt.date(2010, 12, 31)


def _open(client):
    return client.post(
        "/referrals/reviews/new/",
        {
            "practice": "A82016",
            "measure": "130",
            "period": "2010-Q1",
            "peers": "5NE-CAR",
            "basis": "crude",
            "discussion": "We looked at 30 referrals together.",
            "actions": "Use the GPSI clinic first.",
            "follow_up_on": "2030-01-31",
        },  # fmt: skip
    )


def test_the_lead_gp_opens_a_review_from_the_funnel_plot(outlier, client, person):
    client.force_login(person("lead.carlisle"))
    html = client.get(
        "/referrals/comparison/?measure=130&period=2010-Q1&peers=5NE-CAR&basis=crude"
    ).content.decode()
    assert "Open a peer review" in html and "High outlier" in html

    response = _open(client)

    review = PeerReview.objects.get()
    assert response["Location"] == f"/referrals/reviews/{review.pk}/"
    assert review.position["flag"] == "high" and review.position["peers"] == "5NE-CAR"
    assert review.notes.get().actions == "Use the GPSI clinic first."
    page = client.get(response["Location"]).content.decode()
    assert "the next period" in page and "We looked at 30 referrals together." in page
    periods = page.split('data-testid="review-periods"')[1].split("</table>")[0]
    assert "2010-11 Q2" in periods and "Within limits" in periods  # back in line in Q2


def test_the_practice_sees_its_review_against_anonymised_peers(outlier, client, person):
    client.force_login(person("lead.carlisle"))
    _open(client)
    review = PeerReview.objects.get()
    # Peer review of A82016: a member of Warwick Road (A82015) may not see it...
    client.force_login(person("practice.a82015"))
    assert client.get(f"/referrals/reviews/{review.pk}/").status_code == 404
    assert client.get("/referrals/reviews/").content.decode().count("St Paul") == 0


def test_only_the_lead_gp_of_the_practices_locality_opens_a_review(outlier, client, person):
    for username in ("lead.eden", "practice.a82015", "finance"):
        client.force_login(person(username))
        assert _open(client).status_code == 403
    assert not PeerReview.objects.exists()


def test_history_is_kept_and_a_closed_review_takes_no_more_notes(outlier, api, person):
    lead = api(person("lead.carlisle"))
    created = lead.post(
        "/api/referrals/peer-reviews/",
        {
            "practice": "A82016",
            "measure": "130",
            "period": "2010-Q1",
            "peers": "5NE-CAR",
            "discussion": "First meeting",
            "follow_up_on": "2030-01-31",
        },  # fmt: skip
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    noted = lead.post(f"/api/referrals/peer-reviews/{pk}/notes/",
                      {"discussion": "Follow-up: rate back in line", "follow_up_on": "2030-06-30"},
                      format="json")  # fmt: skip
    assert noted.status_code == 201 and len(noted.json()["notes"]) == 2
    closed = lead.post(f"/api/referrals/peer-reviews/{pk}/close/", {"outcome": "Resolved"},
                       format="json")  # fmt: skip
    assert closed.json()["status"] == "closed"
    again = lead.post(f"/api/referrals/peer-reviews/{pk}/notes/", {"discussion": "x"},
                      format="json")  # fmt: skip
    assert again.status_code == 400
    with pytest.raises(IntegrityError), transaction.atomic():
        PeerReviewNote.objects.filter(review_id=pk).delete()  # append-only in the database


def test_one_open_review_per_practice_and_measure(outlier, person):
    import datetime as dt

    from referrals.periods import Period
    from referrals.services import peer_review_open

    practice = __import__("consortia.models").models.Organisation.objects.get(code="A82016")
    kwargs = {"actor": person("lead.carlisle"), "practice": practice, "measure": "130",
                  "period": Period(2010, 1), "discussion": "x", "actions": "",
                  "follow_up_on": dt.date(2030, 1, 1)}  # fmt: skip
    peer_review_open(**kwargs)
    with pytest.raises(ApplicationError, match="already has an open review"):
        peer_review_open(**kwargs)
