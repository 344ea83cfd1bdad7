"""The budget pages: allocations by organisation and line, ledgers, the model run explained,
virements requested and decided, scoped by role, at a fixed number of queries."""

import csv
import datetime as dt
import io
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from budgets.allocation.selectors import allocation_overview
from budgets.delegation.services import delegation_post
from budgets.ledger.selectors import account_balance
from budgets.models import (
    AccountPurpose,
    BudgetLine,
    LineCategory,
    ModelRunLine,
    Virement,
    VirementStatus,
)
from consortia.models import OrganisationKind, User
from consortia.money import format_money
from consortia.services import organisation_create
from localities.models import AGE_BANDS
from localities.services import list_size_record

pytestmark = pytest.mark.django_db

ENVELOPE_2010 = 567_500_000_00  # every allocated line of the demo, memorandum excluded


def html(response) -> str:
    """The page's text with entities decoded ("Last year's", "Wigton & Solway")."""
    return unescape(response.content.decode())


@pytest.mark.parametrize("username", ["finance", "lead.carlisle"])
def test_budgets_open_on_the_latest_year_with_carlisles_allocation(pages, account, username):
    client = pages(username)

    assert client.get("/budgets/")["Location"] == "/budgets/2010/"
    page = html(client.get("/budgets/2010/"))

    assert "Budgets 2010-11" in page
    assert "Demo figures" in page  # the chosen figures are never passed off as real
    carlisle_pbr = account("5NE-CAR", "SC-PBR")
    assert f'href="/budgets/accounts/{carlisle_pbr.pk}/"' in page
    assert format_money(account_balance(carlisle_pbr)) in page


def test_the_allocations_add_up_to_the_envelope_to_the_penny(pages, person, cumbria):
    overview = allocation_overview(user=person("finance"), commissioner=cumbria, year=2010)

    assert overview["total"] == overview["envelope_total"] == ENVELOPE_2010
    assert overview["matches_envelope"]
    # Lines nobody pooled or vired equal their envelope, Allerdale's sub-localities included.
    codes = [line.code for line in overview["lines"]]
    by_code = dict(zip(codes, overview["column_totals"], strict=True))
    assert by_code["SC-NCA"] == 14_500_000_00
    assert by_code["PRESC"] == 88_400_000_00
    assert by_code["MH"] == 64_300_000_00
    page = html(pages("finance").get("/budgets/2010/"))
    assert "add up to the approved envelope of £567,500,000.00 to the penny" in page


def test_allerdale_shows_its_delegation_as_a_subtotal_of_its_sub_localities(person, cumbria):
    overview = allocation_overview(user=person("finance"), commissioner=cumbria, year=2010)
    subtotal = next(r for r in overview["rows"] if r["subtotal"])
    members = [
        r
        for r in overview["rows"]
        if not r["subtotal"] and r["organisation"].path.startswith("/5NE/5NE-ALL/")
    ]

    assert subtotal["organisation"].code == "5NE-ALL"
    assert subtotal["total"] == sum(r["total"] for r in members)
    assert subtotal["risk_pool"] > 0  # 2% of the sub-localities' contracted PbR


def test_the_allocations_csv_and_xlsx_are_the_same_table(pages):
    client = pages("finance")

    rows = list(
        csv.reader(io.StringIO(client.get("/budgets/2010/allocations.csv").content.decode()))
    )
    book = load_workbook(io.BytesIO(client.get("/budgets/2010/allocations.xlsx").content))
    sheet = book.worksheets[0]

    assert rows[0][:3] == ["Organisation code", "Organisation", "Level"]
    assert rows[0][-2:] == ["Risk pool", "Total"]
    total_row = next(r for r in rows if r[1] == "Total")
    assert total_row[-1] == "567500000.00"
    header = [c.value for c in sheet[1]]
    assert header == rows[0]
    xlsx_total = next(r for r in sheet.iter_rows(values_only=True) if r[1] == "Total")
    assert xlsx_total[-1] == 567_500_000  # a number in pounds, not text


def test_an_account_shows_its_ledger_with_a_running_balance_and_monthly_phasing(pages, account):
    carlisle_pbr = account("5NE-CAR", "SC-PBR")
    page = html(pages("lead.carlisle").get(f"/budgets/accounts/{carlisle_pbr.pk}/"))

    balance = format_money(account_balance(carlisle_pbr))
    assert "2010-11 allocation, model run #1" in page
    assert "Virement #1: Fund the rapid response pilot" in page
    assert "-£40,000.00" in page
    assert f'data-testid="balance">{balance}' in page
    assert "M1 April" in page and "M12 March" in page
    assert "Request a virement from this budget" in page  # Carlisle's own lead may


def test_a_practice_member_cannot_open_a_localitys_account(pages, account):
    client = pages("practice.a82015")

    assert client.get(f"/budgets/accounts/{account('5NE-CAR', 'SC-PBR').pk}/").status_code == 404
    assert client.get(f"/budgets/accounts/{account('5NE-EDE', 'PRESC').pk}/").status_code == 404
    assert client.get("/budgets/accounts/999999/").status_code == 404
    assert "Carlisle" not in html(client.get("/budgets/2010/"))


def test_another_localitys_lead_sees_but_cannot_move_carlisles_money(pages, account):
    client = pages("lead.eden")
    page = html(client.get(f"/budgets/accounts/{account('5NE-CAR', 'SC-PBR').pk}/"))

    assert "Contracted PbR activity" in page
    assert "Request a virement from this budget" not in page
    form = html(client.get("/budgets/virements/"))
    assert ">Eden · Practice prescribing · 2010-11</option>" in form
    assert ">Carlisle · Practice prescribing · 2010-11</option>" not in form


def test_the_model_run_explains_every_step_and_where_figures_come_from(pages, budgets_demo):
    page = html(pages("lead.carlisle").get(f"/budgets/runs/{budgets_demo.pk}/"))

    assert "Where the figures come from" in page
    assert "Pace of change 1.5%: CHOSEN" in page
    for heading in [
        "Registered population",
        "Age-weighted population",
        "Need index",
        "Market forces factor",
        "Sparsity factor",
        "Weighted population",
        "Target share",
        "Last year's baseline",
        "Uplifted baseline",
        "Capped move",
        "Proposal",
        "Change from last year",
    ]:
        assert heading in page
    assert "Every line's targets and proposals equal its envelope." in page
    assert "Approve this allocation" not in page  # already approved
    assert "Warwick Road Surgery" in page  # practices, indicative


def test_the_model_run_downloads_carry_every_step(pages, budgets_demo):
    client = pages("finance")

    steps = list(
        csv.reader(
            io.StringIO(client.get(f"/budgets/runs/{budgets_demo.pk}/steps.csv").content.decode())
        )
    )
    book = load_workbook(
        io.BytesIO(client.get(f"/budgets/runs/{budgets_demo.pk}/every-step.xlsx").content)
    )

    assert steps[0][:3] == ["Locality code", "Locality", "Registered population"]
    assert len(steps) == 1 + 6 * 9  # six localities by nine lines
    carlisle_pbr = next(r for r in steps if r[0] == "5NE-CAR" and r[9] == "SC-PBR")
    proposal = ModelRunLine.objects.get(
        row__run=budgets_demo, row__locality__code="5NE-CAR", line__code="SC-PBR"
    ).proposal
    assert carlisle_pbr[16] == f"{proposal // 100}.{proposal % 100:02d}"  # pounds as "1234.56"
    assert book.sheetnames == ["Parameters", "Weighting", "Lines", "Totals", "Practices"]
    totals = list(book["Totals"].iter_rows(values_only=True))
    assert all(row[-1] == "yes" for row in totals[1:])
    practices = list(book["Practices"].iter_rows(values_only=True))
    assert practices[-1][1] == "Total" and len(practices) == 1 + 82 + 1


def test_the_chief_executive_approves_a_proposed_run_on_its_page(pages, proposed_run):
    run = proposed_run()

    assert "Approve this allocation" not in html(
        pages("lead.carlisle").get(f"/budgets/runs/{run.pk}/")
    )
    refused = pages("lead.carlisle").post(f"/budgets/runs/{run.pk}/approve/")
    assert refused.status_code == 400
    assert "nhsuk-error-summary" in html(refused) and "You may not approve allocation" in html(
        refused
    )

    client = pages("ceo")
    assert "Approve this allocation" in html(client.get(f"/budgets/runs/{run.pk}/"))
    response = client.post(f"/budgets/runs/{run.pk}/approve/", follow=True)
    assert "Approved and posted" in html(response)
    assert "£140,000,000.00 posted" in html(response)

    again = client.post(f"/budgets/runs/{run.pk}/approve/")
    assert again.status_code == 400 and "already approved" in html(again)


def test_a_lead_gp_requests_a_virement_on_the_page(pages, account):
    client = pages("lead.carlisle")
    source, target = account("5NE-CAR", "SC-IS"), account("5NE-CAR", "COMM")

    response = client.post(
        "/budgets/virements/",
        {"source": source.pk, "target": target.pk, "amount": "1,000", "reason": "Community pilot"},
    )

    virement = Virement.objects.get(reason="Community pilot")
    assert response["Location"] == f"/budgets/virements/{virement.pk}/"
    assert virement.amount == 1_000_00 and virement.status == VirementStatus.REQUESTED
    detail = html(client.get(response["Location"]))
    assert f"Virement #{virement.pk} of £1,000.00 requested" in detail
    assert "Approve virement" in detail  # within the lead GP's own £50,000 limit


@pytest.mark.parametrize(
    ("amount", "reason", "same", "field", "message"),
    [
        ("ten pounds", "x", False, "amount", "Enter the amount in pounds and pence, like 1,000"),
        ("0", "x", False, "amount", "Enter an amount of more than £0"),
        ("1000", "", False, "reason", "Enter why the money should move"),
        ("1000", "x", True, "target", "Choose two different budgets."),
    ],
)
def test_virement_request_errors_name_the_field_and_say_what_to_do(
    pages, account, amount, reason, same, field, message
):
    source = account("5NE-CAR", "SC-IS")
    target = source if same else account("5NE-CAR", "COMM")

    response = pages("lead.carlisle").post(
        "/budgets/virements/",
        {"source": source.pk, "target": target.pk, "amount": amount, "reason": reason},
    )

    page = html(response)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert f'<a href="#{field}">{message}' in page
    assert f'id="{field}-error"' in page
    assert not Virement.objects.filter(amount=100000, source=source).exists()


def test_the_coo_approves_the_pending_120000_virement_and_the_lead_gp_may_not(pages, account):
    virement = Virement.objects.get(amount=120_000_00)
    source, target = account("5NE-CAR", "SC-PBR"), account("5NE-CAR", "PRESC")
    before = account_balance(source), account_balance(target)

    lead_page = html(pages("lead.carlisle").get(f"/budgets/virements/{virement.pk}/"))
    assert "Your limit under the scheme of delegation is £50,000.00" in lead_page
    assert "Approve virement" not in lead_page
    refused = pages("lead.carlisle").post(f"/budgets/virements/{virement.pk}/approve/")
    assert refused.status_code == 400 and "above your limit" in html(refused)

    coo = pages("coo")
    assert "Approve virement" in html(coo.get(f"/budgets/virements/{virement.pk}/"))
    response = coo.post(f"/budgets/virements/{virement.pk}/approve/", follow=True)

    assert f"Virement #{virement.pk} approved" in html(response)
    assert account_balance(source) == before[0] - 120_000_00
    assert account_balance(target) == before[1] + 120_000_00


def test_rejecting_needs_a_reason(pages):
    virement = Virement.objects.get(amount=120_000_00)
    client = pages("finance")

    assert "Reject virement" in html(client.get(f"/budgets/virements/{virement.pk}/"))
    empty = client.post(f"/budgets/virements/{virement.pk}/reject/", {"reason": " "})
    assert empty.status_code == 400
    assert '<a href="#reason">Enter why you are rejecting this virement' in html(empty)

    client.post(
        f"/budgets/virements/{virement.pk}/reject/", {"reason": "Use the prescribing reserve"}
    )
    virement.refresh_from_db()
    assert virement.status == VirementStatus.REJECTED
    assert virement.decision_reason == "Use the prescribing reserve"


def test_budgets_and_virements_are_in_the_menu_for_people_who_see_money(pages, client):
    assert 'href="/budgets/">Budgets' in html(pages("lead.carlisle").get("/"))
    assert 'href="/budgets/virements/">Virements' in html(pages("lead.carlisle").get("/"))

    nobody = User.objects.create_user("no.role", password="x")  # noqa: S106
    client.force_login(nobody)
    assert 'href="/budgets/"' not in html(client.get("/"))
    assert client.get("/budgets/2010/").status_code == 403


def _grow_carlisle(cumbria, node, practices: int) -> None:
    """More sub-localities, practices, accounts and ledger legs in Carlisle."""
    carlisle = node("5NE-CAR")
    subs = [
        organisation_create(
            actor=None,
            kind=OrganisationKind.SUB_LOCALITY,
            code=f"5NE-CAR-X{i}",
            name=f"Extra {i}",
            parent=carlisle,
        )
        for i in range(4)
    ]
    for i in range(practices):
        practice = organisation_create(
            actor=None,
            kind=OrganisationKind.PRACTICE,
            code=f"Z{90000 + i}",
            name=f"Extra practice {i}",
            parent=subs[i % len(subs)],
        )
        list_size_record(
            actor=None,
            practice=practice,
            as_of=dt.date(2013, 4, 1),
            bands={("F", band): 25 for band in AGE_BANDS},
            source="test",
        )
    for line in BudgetLine.objects.filter(commissioner=cumbria, category=LineCategory.DELEGATED):
        delegation_post(
            actor=None,
            locality=carlisle,
            year=2010,
            line=line,
            amounts=dict.fromkeys(subs, 1_000_00),
        )


def test_allocation_and_model_run_pages_run_the_same_queries_whatever_the_size(
    pages, cumbria, node, proposed_run
):
    client = pages("finance")
    small_run = proposed_run()
    urls = ["/budgets/2010/", f"/budgets/runs/{small_run.pk}/"]
    client.get(urls[0])  # warm the session
    small = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        small[url] = len(queries)

    _grow_carlisle(cumbria, node, practices=40)
    large_run = proposed_run()
    assert large_run.practices.count() == small_run.practices.count() + 40

    with CaptureQueriesContext(connection) as allocations:
        page = client.get("/budgets/2010/")
    with CaptureQueriesContext(connection) as run_page:
        assert client.get(f"/budgets/runs/{large_run.pk}/").status_code == 200

    assert "Extra 3" in html(page)
    assert len(allocations) == small["/budgets/2010/"]
    assert len(run_page) == small[f"/budgets/runs/{small_run.pk}/"]


def test_risk_pool_links_to_its_own_ledger(pages, account):
    pool = account("5NE-ALL", "SC-PBR", purpose=AccountPurpose.RISK_POOL)
    page = html(pages("finance").get("/budgets/2010/"))

    assert f'href="/budgets/accounts/{pool.pk}/"' in page
    ledger = html(pages("finance").get(f"/budgets/accounts/{pool.pk}/"))
    assert "Risk pool contribution" in ledger
    assert "M1 April" not in ledger  # a pool is not phased like a budget
