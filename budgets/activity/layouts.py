"""The column layouts of the four activity files, and how each row maps to a budget line.

Finance teams download a template per layout (the page and the API serve them). Column names are
case-insensitive; extra columns are ignored. `month` is "2010-04" (calendar month) or "M1".."M12"
(financial month, M1 = April). Money is in pounds with at most two decimal places.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import ImportKind


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str
    example: str


LAYOUTS: dict[str, list[Column]] = {
    ImportKind.HOSPITAL: [
        Column(
            "provider_code", True, "ODS code of the provider; must be the file's provider", "RNL"
        ),
        Column("practice_code", True, "ODS code of the registered practice", "A82015"),
        Column("month", True, "2010-04 or M1", "2010-04"),
        Column("pod", True, "Point of delivery: EL, DC, NEL, OPFA, OPFU, AE or OTH", "OPFA"),
        Column("code", True, "HRG (e.g. BZ02Z) or treatment function code (e.g. 130)", "130"),
        Column("activity", True, "Number of spells or attendances (whole number, 0 or more)", "12"),
        Column("cost", False, "Cost in pounds; blank to price it at the national tariff", ""),
        Column("contract", True, "Y if under the PCT's contract with the provider, N if not", "Y"),
        Column("independent_sector", True, "Y for an independent-sector provider, else N", "N"),
    ],
    ImportKind.EXCLUDED: [
        Column(
            "provider_code", True, "ODS code of the provider; must be the file's provider", "RNL"
        ),
        Column("practice_code", True, "ODS code of the registered practice", "A82015"),
        Column("month", True, "2010-04 or M1", "2010-04"),
        Column("cost", True, "Cost in pounds", "1520.00"),
    ],
    ImportKind.PRESCRIBING: [
        Column("practice_code", True, "ODS code of the prescribing practice", "A82015"),
        Column("month", True, "2010-04 or M1", "2010-04"),
        Column("items", True, "Prescription items (whole number, 0 or more)", "5120"),
        Column("nic", True, "Net ingredient cost in pounds", "48210.55"),
        Column(
            "actual_cost", True, "Actual cost in pounds (what the budget is charged)", "44905.10"
        ),
    ],
    ImportKind.COMMUNITY: [
        Column("organisation_code", True, "Locality or sub-locality code", "5NE-CAR"),
        Column("service", True, "Community service, e.g. district nursing", "District nursing"),
        Column("month", True, "2010-04 or M1", "2010-04"),
        Column("cost", True, "Cost in pounds", "81234.00"),
    ],
}

# Which budget line (by code) each kind of row is charged to. Hospital rows go to contracted PbR,
# non-contract PbR or independent sector by their flags.
LINE_CODES = {
    "hospital_contract": "SC-PBR",
    "hospital_non_contract": "SC-NCA",
    "hospital_independent": "SC-IS",
    ImportKind.EXCLUDED: "SC-EXCL",
    ImportKind.PRESCRIBING: "PRESC",
    ImportKind.COMMUNITY: "COMM",
}


def template_rows(kind: str) -> tuple[list[str], list[str]]:
    """The header and one example row of a layout's template."""
    columns = LAYOUTS[kind]
    return [c.name for c in columns], [c.example for c in columns]
