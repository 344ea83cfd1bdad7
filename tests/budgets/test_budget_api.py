"""The budgets API: lines, accounts with balances and ledgers, model runs, virements and
transactions, scoped by the permission module; money in integer pence."""

import pytest
import yaml
from django.core.management import call_command

from budgets.ledger.selectors import account_balance
from budgets.models import Account, Virement, VirementStatus

pytestmark = pytest.mark.django_db


def test_budget_lines_are_the_commissioners(api):
    body = api("lead.carlisle").get("/api/budget-lines/").json()

    codes = [row["code"] for row in body["results"]]
    assert codes[:3] == ["RRL", "SC-PBR", "SC-NCA"]
    assert {"CHILD", "MH", "GPCON"} <= set(codes)


def test_accounts_filter_by_year_organisation_and_line_with_their_balance(api, account):
    body = (
        api("finance")
        .get("/api/accounts/", {"year": 2010, "organisation": "5NE-CAR", "line": "SC-PBR"})
        .json()
    )

    (row,) = body["results"]
    carlisle_pbr = account("5NE-CAR", "SC-PBR")
    assert row["id"] == carlisle_pbr.pk
    assert row["balance_pence"] == account_balance(carlisle_pbr)
    assert row["balance"].startswith("£")
    assert row["uncommitted_pence"] == row["balance_pence"] - row["committed_pence"]


def test_a_ledger_carries_a_running_balance_and_the_months(api, account):
    carlisle_nca = account("5NE-CAR", "SC-NCA")

    body = api("lead.carlisle").get(f"/api/accounts/{carlisle_nca.pk}/ledger/").json()

    running = 0
    for entry in body["entries"]:
        running += entry["amount_pence"]
        assert entry["balance_pence"] == running
    assert body["balance_pence"] == running == account_balance(carlisle_nca)
    months = body["months"]
    assert [m["name"] for m in (months[0], months[-1])] == ["April", "March"]
    assert sum(m["amount_pence"] for m in months) == running  # to the penny
    # Non-contract activity follows the demo's winter-heavy profile: January is 9.5%.
    assert max(months, key=lambda m: m["amount_pence"])["name"] == "January"


def test_a_practice_member_gets_404_alike_for_missing_and_not_theirs(api, account, budgets_demo):
    client = api("practice.a82015")
    carlisle = account("5NE-CAR", "SC-PBR")

    assert client.get("/api/accounts/").json()["count"] == 0
    for url in [
        f"/api/accounts/{carlisle.pk}/",
        f"/api/accounts/{carlisle.pk}/ledger/",
        "/api/accounts/999999/ledger/",
        f"/api/model-runs/{budgets_demo.pk}/",
        f"/api/virements/{Virement.objects.first().pk}/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert set(response.json()) == {"message", "extra"}
    assert client.get("/api/transactions/").json()["count"] == 0


def test_a_model_run_gives_every_locality_with_its_lines_summing_to_the_envelope(api, budgets_demo):
    body = api("lead.carlisle").get(f"/api/model-runs/{budgets_demo.pk}/").json()

    assert len(body["localities"]) == 6
    assert "CHOSEN" in body["parameters"]["sources"]
    for code, envelope in budgets_demo.envelopes.items():
        proposals = [
            line["proposal_pence"]
            for loc in body["localities"]
            for line in loc["lines"]
            if line["line"] == code
        ]
        assert sum(proposals) == envelope, code
    assert body["balanced"] is True
    delegated = sum(
        t["envelope_pence"]
        for t in body["line_totals"]
        if t["line"] in {"SC-PBR", "SC-NCA", "SC-IS", "SC-EXCL", "PRESC", "COMM"}
    )
    assert sum(p["indicative_target_pence"] for p in body["practices"]) == delegated


def test_only_the_chief_executive_approves_a_run_and_only_once(api, proposed_run):
    run = proposed_run()

    refused = api("lead.carlisle").post(f"/api/model-runs/{run.pk}/approve/")
    assert refused.status_code == 403
    assert refused.json()["message"] == "You may not approve allocation for NHS Cumbria."

    posted = api("ceo").post(f"/api/model-runs/{run.pk}/approve/")
    assert posted.status_code == 201
    legs = posted.json()["legs"]
    assert sum(leg["amount_pence"] for leg in legs) == 0
    assert -min(leg["amount_pence"] for leg in legs) == sum(run.envelopes.values())
    accounts_2011 = api("finance").get("/api/accounts/", {"year": 2011, "purpose": "budget"})
    assert sum(a["balance_pence"] for a in accounts_2011.json()["results"]) == sum(
        run.envelopes.values()
    )

    again = api("ceo").post(f"/api/model-runs/{run.pk}/approve/")
    assert again.status_code == 400 and "already approved" in again.json()["message"]


def test_a_virement_is_requested_then_approved_by_someone_whose_limit_covers_it(api, account):
    source, target = account("5NE-CAR", "SC-IS"), account("5NE-CAR", "COMM")
    before = account_balance(source), account_balance(target)

    requested = api("lead.carlisle").post(
        "/api/virements/",
        {
            "source": source.pk,
            "target": target.pk,
            "amount_pence": 60_000_00,
            "reason": "Community pilot",
        },
        format="json",
    )
    assert requested.status_code == 201
    virement_id = requested.json()["id"]
    assert requested.json()["status"] == "requested"
    assert account_balance(source) == before[0]  # nothing moves until approved

    above_limit = api("lead.carlisle").post(f"/api/virements/{virement_id}/approve/")
    assert above_limit.status_code == 403
    assert above_limit.json()["message"] == (
        "You cannot approve this virement: it is above your limit of £50,000.00."
    )

    approved = api("finance").post(f"/api/virements/{virement_id}/approve/", {}, format="json")
    assert approved.status_code == 201
    assert sorted(leg["amount_pence"] for leg in approved.json()["legs"]) == [-60_000_00, 60_000_00]
    assert account_balance(source) == before[0] - 60_000_00
    assert account_balance(target) == before[1] + 60_000_00
    assert Virement.objects.get(pk=virement_id).status == VirementStatus.APPROVED


def test_the_pending_120000_virement_is_refused_above_a_limit_and_approved_by_the_coo(api):
    virement = Virement.objects.get(amount=120_000_00, status=VirementStatus.REQUESTED)

    for username in ["lead.carlisle", "finance"]:
        refused = api(username).post(f"/api/virements/{virement.pk}/approve/")
        assert refused.status_code == 403
        assert "above your limit" in refused.json()["message"]

    assert api("coo").post(f"/api/virements/{virement.pk}/approve/").status_code == 201


def test_a_virement_is_rejected_with_a_reason(api):
    virement = Virement.objects.get(amount=120_000_00, status=VirementStatus.REQUESTED)

    missing = api("finance").post(f"/api/virements/{virement.pk}/reject/", {}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["extra"]["fields"]
    assert (
        api("lead.eden")
        .post(f"/api/virements/{virement.pk}/reject/", {"reason": "no"}, format="json")
        .status_code
        == 403
    )

    rejected = api("finance").post(
        f"/api/virements/{virement.pk}/reject/", {"reason": "Use the reserve"}, format="json"
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_reason"] == "Use the reserve"


@pytest.mark.parametrize(
    ("username", "body", "status", "says"),
    [
        ("lead.carlisle", {"amount_pence": 1000.5}, 400, "whole pence"),
        ("lead.carlisle", {"amount_pence": "1000"}, 400, "whole pence"),
        ("lead.carlisle", {"amount_pence": 0}, 400, "more than £0"),
        ("lead.eden", {}, 403, "You may not change money for Carlisle."),
        ("practice.a82015", {}, 400, "Please correct the errors below."),
    ],
)
def test_a_virement_request_is_refused_with_a_reason(api, account, username, body, status, says):
    payload = {
        "source": account("5NE-CAR", "SC-IS").pk,
        "target": account("5NE-CAR", "COMM").pk,
        "amount_pence": 1_000_00,
        "reason": "Community pilot",
        **body,
    }

    response = api(username).post("/api/virements/", payload, format="json")

    assert response.status_code == status
    assert says in str(response.json())
    assert not Virement.objects.filter(reason="Community pilot").exists()


def test_transactions_list_the_legs_the_caller_may_see(api, account):
    carlisle_pbr = account("5NE-CAR", "SC-PBR")

    body = api("lead.carlisle").get("/api/transactions/", {"account": carlisle_pbr.pk}).json()

    kinds = [row["kind"] for row in body["results"]]
    assert kinds == ["virement", "allocation"]  # newest first
    for row in body["results"]:
        assert sum(leg["amount_pence"] for leg in row["legs"]) == 0


def test_the_schema_documents_the_budget_endpoints(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    paths = set(yaml.safe_load(out.read_text())["paths"])
    assert {
        "/api/budget-lines/",
        "/api/accounts/",
        "/api/accounts/{id}/ledger/",
        "/api/model-runs/",
        "/api/model-runs/{id}/",
        "/api/model-runs/{id}/approve/",
        "/api/virements/",
        "/api/virements/{id}/approve/",
        "/api/virements/{id}/reject/",
        "/api/transactions/",
    } <= paths


def test_accounts_list_in_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    client = api("finance")

    with django_assert_max_num_queries(6):
        body = client.get("/api/accounts/", {"year": 2010}).json()

    assert body["count"] == Account.objects.filter(year=2010).count()
