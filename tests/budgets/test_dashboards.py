"""The money dashboards, as finance, a lead GP and a practice use them: the county at a month,
the drill-down to the imported rows behind a figure, the exports, and the pinned query counts.

Tiny ICB (tests/budgets/scenario.py), reconciled at M2 (tests/budgets/test_reconciliation.py):
North: YTD budget £2,400 (PbR £2,000 + prescribing £400), actual £2,300 (PbR £1,800, prescribing
£500); South: budget £2,200 (PbR £2,000 + community £200), actual £1,760 (PbR £1,500 + community
£260).
"""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from budgets.dashboards.selectors import (
    county_dashboard,
    cumulative_profile,
    node_dashboard,
    practice_dashboard,
)
from budgets.models import Position, ReconciliationRun
from consortia.models import OrganisationKind, Role
from consortia.services import organisation_create, role_assign
from tests.budgets.scenario import HOSPITAL_HEADER, build, upload
from tests.budgets.test_reconciliation import load_months, reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(cumbria):
    s = build()
    load_months(s)
    s["run"] = reconcile(s, month=2)
    return s


@pytest.fixture
def as_user(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def _practice_member(s, practice):
    from consortia.models import User

    user = User.objects.create_user(f"member.{practice.code.lower()}")
    role_assign(actor=None, user=user, role=Role.PRACTICE_MEMBER, organisation=practice)
    return user


# --- The county ------------------------------------------------------------------------------


def test_the_county_dashboard_shows_each_locality_at_the_month(as_user, s):
    html = as_user(s["finance"]).get("/dashboard/").content.decode()

    assert "Tiny ICB: where the money stands" in html
    assert "M2 May 2010" in html and "2010-11" in html
    assert "£2,400.00" in html and "£2,300.00" in html and "-£100.00" in html  # North
    assert "£2,200.00" in html and "£1,760.00" in html and "-£440.00" in html  # South
    assert "On track" in html  # a status in words, not colour alone
    assert "Forecast to underspend by £3,240.00" in html  # county: £24,360 against £27,600


def test_the_county_figures_are_the_reconciliations_positions(s):
    data = county_dashboard(user=s["finance"], commissioner=s["icb"], run=s["run"])

    assert [p.organisation.code for p in data["localities"]] == ["TIC-N", "TIC-S"]
    north = data["localities"][0]
    assert (north.ytd_budget, north.ytd_actual, north.variance) == (2_400_00, 2_300_00, -100_00)
    assert data["county"].forecast_outturn == 24_360_00
    assert data["outlook"].forecast_variance == -3_240_00
    assert data["outlook"].words.startswith("Forecast to underspend by £3,240.00 (11.74% of")


def test_the_cumulative_profile_reaches_the_ytd_budget_at_the_run_month(s):
    data = county_dashboard(user=s["finance"], commissioner=s["icb"], run=s["run"])
    north = data["series"][0]

    assert north.node.code == "TIC-N"
    assert north.profile[1] == data["localities"][0].ytd_budget  # M2, phased as reconciled
    assert north.profile[11] == 14_400_00  # the whole year's budget by March
    assert north.actual == [550_00, 2_300_00]  # M1 £300 + £250; M2 adds £1,500 + £250


def test_phasing_follows_each_lines_profile_to_the_penny():
    from types import SimpleNamespace

    line = SimpleNamespace(annual_budget=1_000_01, line_id=7)
    flat = SimpleNamespace(annual_budget=1_200_00, line_id=8)
    seasonal = [2] + [1] * 11  # April weighs double

    cumulative = cumulative_profile([line, flat], {7: seasonal})

    assert cumulative[0] == 153_85 + 100_00  # £1,000.01 × 2/13, the spare penny to April
    assert cumulative[-1] == 2_200_01


def test_a_month_without_a_reconciliation_says_which_months_have_figures(as_user, s):
    html = as_user(s["finance"]).get("/dashboard/?year=2010&month=7").content.decode()

    assert "There are no reconciled figures for M7 of 2010-11" in html
    assert 'href="?year=2010&amp;month=2"' in html


def test_a_wrong_month_is_an_error_the_person_can_act_on(as_user, s):
    html = as_user(s["finance"]).get("/dashboard/?year=2010&month=13").content.decode()

    assert "There is a problem" in html
    assert "Choose a month from M1 (April) to M12 (March)." in html


def test_import_errors_and_the_last_run_are_on_the_county_dashboard(as_user, s):
    upload(s, HOSPITAL_HEADER + "RXX,Y99999,M3,EL,AA11A,3,,Y,N\n", month=3, name="bad-m3.csv")

    html = as_user(s["finance"]).get("/dashboard/").content.decode()

    assert "1 file with errors not yet replaced by a good file" in html
    assert "bad-m3.csv" in html and "1 problem" in html
    assert f"#{s['run'].pk}, M2 2010-11" in html and "Succeeded" in html


# --- Drill-down ---------------------------------------------------------------------------------


def test_finance_drills_from_the_county_to_the_rows_behind_a_figure(as_user, s):
    client = as_user(s["finance"])
    county = client.get("/dashboard/").content.decode()
    assert 'href="/dashboard/TIC-N/?year=2010&amp;month=2"' in county

    locality = client.get("/dashboard/TIC-N/?year=2010&month=2").content.decode()
    assert "North: where the money stands" in locality
    assert 'href="/dashboard/Y00001/?year=2010&amp;month=2"' in locality  # its practice

    practice = client.get("/dashboard/Y00001/?year=2010&month=2").content.decode()
    assert "North Practice: spending" in practice
    assert "£1,800.00" in practice  # PbR year to date
    rows_link = "/dashboard/Y00001/lines/SC-PBR/?year=2010&amp;month=2"
    assert rows_link in practice

    rows = client.get(rows_link.replace("&amp;", "&")).content.decode()
    assert "£1,500.00" in rows  # the figure, and the one row that makes it
    assert "h2.csv" in rows and "AA11A" in rows and "15" in rows


def test_the_rows_page_pages_through_rows_and_adds_up_to_the_figure(as_user, s):
    lines = "".join(f"RXX,Y00001,M3,EL,AA11A,{i + 1},,Y,N\n" for i in range(120))
    upload(s, HOSPITAL_HEADER + lines, month=3, name="h3.csv")
    reconcile(s, month=3)
    client = as_user(s["finance"])

    first = client.get("/dashboard/Y00001/lines/SC-PBR/?year=2010&month=3").content.decode()
    last = client.get("/dashboard/Y00001/lines/SC-PBR/?year=2010&month=3&page=3").content.decode()

    assert "page 1 of 3" in first and "page 3 of 3" in last
    assert first.count("h3.csv") == 50 + 0 and last.count("h3.csv") == 20
    assert "120 rows, £726,000.00 counted" in first  # (1 + 2 + ... + 120) × £100
    assert 'Figure (reconciled)</dt><dd class="nhsuk-summary-list__value">£726,000.00' in first


def test_community_services_charged_to_a_locality_link_to_their_rows(as_user, s):
    html = as_user(s["finance"]).get("/dashboard/TIC-S/?year=2010&month=2").content.decode()

    assert "/dashboard/TIC-S/lines/COMM/?year=2010&amp;month=2" in html
    rows = as_user(s["finance"]).get("/dashboard/TIC-S/lines/COMM/?year=2010&month=2")
    assert "£160.00" in rows.content.decode() and "District nursing" in rows.content.decode()


def test_a_practice_is_set_beside_its_neighbours_per_weighted_patient(s):
    data = node_dashboard(user=s["finance"], node=s["north"], run=s["run"])

    assert [f.practice.code for f in data["practices"]] == ["Y00001"]
    assert data["practices"][0].ytd_actual == 2_300_00
    assert data["practices"][0].index is None  # Tiny ICB has no allocation model run


def test_a_practice_member_sees_their_practice_only(as_user, s):
    member = _practice_member(s, s["p1"])
    client = as_user(member)

    assert client.get("/dashboard/")["Location"] == "/dashboard/Y00001/"
    assert client.get("/dashboard/Y00001/").status_code == 200
    assert client.get("/dashboard/Y00002/").status_code == 404
    assert client.get("/dashboard/TIC-N/").status_code == 404
    assert client.get("/dashboard/Y00002/lines/SC-PBR/?year=2010&month=1").status_code == 404
    assert client.get("/dashboard/TIC/localities.csv").status_code == 404


def test_a_lead_gp_sees_the_county_and_every_locality(as_user, s):
    client = as_user(s["lead"])

    assert client.get("/dashboard/").status_code == 200
    assert client.get("/dashboard/TIC-S/").status_code == 200


# --- Exports ----------------------------------------------------------------------------------


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_every_dashboard_table_downloads_as_csv_and_xlsx_for_the_month_shown(as_user, s):
    reconcile(s, month=1)  # a later run, of an earlier month: the filters choose M2
    client = as_user(s["finance"])

    rows = _csv(client.get("/dashboard/TIC/localities.csv?year=2010&month=2"))
    assert rows[0][:5] == ["code", "name", "allocation (annual budget) £", "YTD budget £",
                           "YTD actual £"]  # fmt: skip
    assert rows[1][:5] == ["TIC-N", "North", "14400.00", "2400.00", "2300.00"]
    assert rows[-1][1] == "Tiny ICB (total)"
    m1 = _csv(client.get("/dashboard/TIC/localities.csv?year=2010&month=1"))
    assert m1[1][4] == "550.00"

    for url in [
        "/dashboard/TIC/lines.xlsx?year=2010&month=2",
        "/dashboard/TIC/cumulative.xlsx?year=2010&month=2",
        "/dashboard/TIC-N/lines.xlsx?year=2010&month=2",
        "/dashboard/TIC-N/practices.xlsx?year=2010&month=2",
        "/dashboard/TIC-N/cumulative.xlsx?year=2010&month=2",
        "/dashboard/Y00001/lines.xlsx?year=2010&month=2",
        "/dashboard/Y00001/neighbours.xlsx?year=2010&month=2",
        "/dashboard/Y00001/lines/SC-PBR/rows.xlsx?year=2010&month=2",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row >= 2, url

    practice = _csv(client.get("/dashboard/Y00001/lines.csv?year=2010&month=2"))
    assert practice[0] == ["line code", "line", "M1 £", "M2 £", "YTD actual £", "activity", "rows"]
    assert ["SC-PBR", "SC-PBR", "300.00", "1500.00", "1800.00", "18", "2"] in practice
    assert client.get("/dashboard/TIC/nonsense.csv").status_code == 404


def test_exported_text_is_neutralised_against_formula_injection(as_user, s):
    organisation_create(
        actor=None,
        kind=OrganisationKind.PRACTICE,
        code="Y00003",
        name='=HYPERLINK("http://x")',
        parent=s["north"],
    )
    upload(s, HOSPITAL_HEADER + "RXX,Y00003,M3,EL,AA11A,1,,Y,N\n", month=3, name="h3.csv")
    reconcile(s, month=3)

    rows = _csv(as_user(s["finance"]).get("/dashboard/TIC-N/practices.csv?year=2010&month=3"))

    names = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in names
    assert all(not n.startswith(("=", "+", "-", "@")) for n in names)


# --- Speed ------------------------------------------------------------------------------------


def _grow(s, small, practices=30):
    """More practices (half in a new sub-locality), more rows (a revision of the M3 file) and
    another month (M4) reconciled: more summaries, positions and rows than before."""
    sub = organisation_create(
        actor=None, kind=OrganisationKind.SUB_LOCALITY, code="TIC-N-A", name="North A",
        parent=s["north"],
    )  # fmt: skip
    codes = ["Y00001"]
    for i in range(practices):
        code = f"Y{10000 + i}"
        organisation_create(
            actor=None,
            kind=OrganisationKind.PRACTICE,
            code=code,
            name=f"Extra {i}",
            parent=sub if i % 2 else s["north"],
        )
        codes.append(code)
    for month, replaces in ((3, small), (4, None)):
        rows = "".join(
            f"RXX,{code},M{month},EL,AA11A,{n},,Y,N\n" for code in codes for n in range(1, 8)
        )
        upload(s, HOSPITAL_HEADER + rows, month=month, name=f"grow-{month}.csv", replaces=replaces)
    reconcile(s, month=4)


URLS = [
    "/dashboard/",
    "/dashboard/TIC-N/",
    "/dashboard/TIC-S/",
    "/dashboard/Y00001/",
    "/dashboard/Y00001/lines/SC-PBR/?year=2010&month=3",
    "/",
]


@pytest.mark.parametrize("url", URLS)
def test_dashboards_run_the_same_queries_whatever_the_data_size(as_user, s, url):
    small_file = upload(
        s, HOSPITAL_HEADER + "RXX,Y00001,M3,EL,AA11A,1,,Y,N\n", month=3, name="small-m3.csv"
    )
    reconcile(s, month=3)
    client = as_user(s["finance"])
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200

    _grow(s, small_file)
    assert ReconciliationRun.objects.filter(month=4).exists()
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)

    assert response.status_code == 200
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


@pytest.mark.parametrize("page", ["county", "node", "practice"])
def test_dashboards_read_the_reconciliation_not_the_activity_table(s, page):
    with CaptureQueriesContext(connection) as queries:
        if page == "county":
            county_dashboard(user=s["finance"], commissioner=s["icb"], run=s["run"])
        elif page == "node":
            node_dashboard(user=s["finance"], node=s["north"], run=s["run"])
        else:
            practice_dashboard(user=s["finance"], practice=s["p1"], run=s["run"])

    assert queries.captured_queries
    assert not any("budgets_activityrow" in q["sql"] for q in queries.captured_queries)
    assert Position.objects.filter(run=s["run"]).exists()
