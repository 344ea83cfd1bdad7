"""CSV and XLSX downloads: formula-like text is neutralised, numbers stay numbers."""

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from consortia.exports import Sheet, csv_response, xlsx_response


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_neutralises_text_a_spreadsheet_would_run_as_a_formula():
    response = csv_response(
        "x.csv",
        ["Practice", "Amount (£)"],
        [
            ['=HYPERLINK("http://evil","click")', Decimal("1234.56")],
            ["+44 1228 000000", Decimal("-1234.56")],
            ["-2+3", -5],
            ["@SUM(A1:A2)", 0],
            ["Warwick Road Surgery", None],
        ],
    )

    rows = read_csv(response)
    assert rows[0] == ["Practice", "Amount (£)"]
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://evil","click")',
        "'+44 1228 000000",
        "'-2+3",
        "'@SUM(A1:A2)",
        "Warwick Road Surgery",
    ]
    # Numbers are written as numbers, negative ones included: only text is neutralised.
    assert [r[1] for r in rows[1:]] == ["1234.56", "-1234.56", "-5", "0", ""]
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'


def test_xlsx_opens_with_the_header_and_money_as_numbers():
    response = xlsx_response(
        "x.xlsx",
        [
            Sheet(
                "Allocations",
                ["Organisation", "Budget (£)", "Share"],
                [
                    ["Carlisle", Decimal("54446082.40"), Decimal("0.2100000000")],
                    ["=1+1", Decimal("-40000.00"), None],
                ],
            ),
            Sheet("Second", ["A"], []),
        ],
    )

    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Allocations"]
    assert book.sheetnames == ["Allocations", "Second"]
    assert [c.value for c in sheet[1]] == ["Organisation", "Budget (£)", "Share"]
    money = sheet["B2"]
    assert money.value == Decimal("54446082.40") or money.value == 54446082.4
    assert money.data_type == "n" and money.number_format == "#,##0.00"
    assert sheet["B3"].value == -40000
    assert sheet["A3"].value == "=1+1" and sheet["A3"].data_type == "s"  # text, never a formula
