"""The column layouts of the referral and information-event files (templates on the page).

Column names are case-insensitive; extra columns are ignored. Dates are YYYY-MM-DD; times
YYYY-MM-DD HH:MM (local time). NHS numbers may have spaces or hyphens.
"""

from __future__ import annotations

from budgets.activity.layouts import Column

from .models import InformationKind, Priority, ReferralImportKind

LAYOUTS: dict[str, list[Column]] = {
    ReferralImportKind.REFERRALS: [
        Column("practice_code", True, "ODS code of the referring practice", "A82015"),
        Column("referred_on", True, "Date of the referral (YYYY-MM-DD)", "2010-06-01"),
        Column("specialty", True, "Treatment function code (3 digits)", "130"),
        Column("provider_code", True, "ODS code of the provider referred to", "RNL"),
        Column("priority", True, "routine, urgent or two_week_wait (2WW)", "routine"),
        Column("clinician", False, "Referring clinician's code (optional)", "G1234567"),
        Column("nhs_number", True, "Patient's NHS number: checked, then stored only as a keyed hash", "943 476 5919"),
    ],
    ReferralImportKind.INFORMATION: [
        Column("provider_code", True, "ODS code of the provider", "RNL"),
        Column("reference", True, "Provider's reference of the attendance or spell", "RNL-OP-000123"),
        Column("practice_code", True, "ODS code of the patient's practice", "A82015"),
        Column("kind", True, "clinic_letter or discharge_summary", "clinic_letter"),
        Column("specialty", True, "Treatment function code (3 digits)", "130"),
        Column("occurred", True, "Attendance or discharge (YYYY-MM-DD HH:MM)", "2010-06-01 10:30"),
        Column("received", False, "When the GP received it; blank if not yet", "2010-06-04 09:00"),
        Column("nhs_number", False, "Patient's NHS number (optional; stored only as a keyed hash)", ""),
    ],
}  # fmt: skip

PRIORITIES = {
    "routine": Priority.ROUTINE,
    "urgent": Priority.URGENT,
    "two_week_wait": Priority.TWO_WEEK_WAIT,
    "two-week wait": Priority.TWO_WEEK_WAIT,
    "two week wait": Priority.TWO_WEEK_WAIT,
    "2ww": Priority.TWO_WEEK_WAIT,
}
INFORMATION_KINDS = {
    "clinic_letter": InformationKind.CLINIC_LETTER,
    "clinic letter": InformationKind.CLINIC_LETTER,
    "letter": InformationKind.CLINIC_LETTER,
    "discharge_summary": InformationKind.DISCHARGE_SUMMARY,
    "discharge summary": InformationKind.DISCHARGE_SUMMARY,
    "discharge": InformationKind.DISCHARGE_SUMMARY,
}


def template_rows(kind: str) -> tuple[list[str], list[str]]:
    columns = LAYOUTS[kind]
    return [c.name for c in columns], [c.example for c in columns]
