"""The tables behind each referrals page, as header + rows, for CSV and XLSX downloads.

The same rows the page shows (anonymised alike); money in pounds as Decimal, rates to two places.
"""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpResponse

from budgets.periods import month_label
from consortia.exports import Sheet, csv_response, xlsx_response
from consortia.money import to_pounds


def _rate(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 2)))


def _share(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value * 100, 1)))


def download(kind: str, name: str, header: list[str], rows: list[list]) -> HttpResponse:
    if kind == "xlsx":
        return xlsx_response(f"{name}.xlsx", [Sheet(name[:31], header, rows)])
    return csv_response(f"{name}.csv", header, rows)


def comparison_table(data) -> tuple[list[str], list[list]]:
    header = ["practice", "code", "locality", "registered patients", "weighted patients",
              "count", "crude rate", "weighted rate", "rate compared", "lower 95%", "upper 95%",
              "lower 99.8%", "upper 99.8%", "outlier", "peer rate", "period", "measure"]  # fmt: skip
    if data.measure == "PRESC":
        header += ["cost", "cost per weighted patient a year"]
    rows = []
    for r in data.rows:
        row = [r.label, r.code or "", r.locality if r.named else "", r.population,
               r.weighted_population, r.observed, _rate(r.crude_rate), _rate(r.weighted_rate),
               _rate(r.rate), _rate(r.lower95), _rate(r.upper95), _rate(r.lower998),
               _rate(r.upper998), r.flag, _rate(data.funnel.target), data.period.label,
               data.measure_name]  # fmt: skip
        if data.measure == "PRESC":
            row += [to_pounds(r.cost or 0), to_pounds(r.cost_per_weighted_patient or 0)]
        rows.append(row)
    return header, rows


def reviews_table(reviews) -> tuple[list[str], list[list]]:
    header = ["id", "practice", "code", "measure", "period", "opened on", "opened by",
              "follow-up on", "status", "rate at opening", "peer rate", "outlier", "outcome"]  # fmt: skip
    return header, [
        [
            r.pk,
            r.practice.name,
            r.practice.code,
            r.position.get("measure_name", r.measure),
            r.position.get("period_label", ""),
            r.opened_on,
            str(r.opened_by),
            r.follow_up_on,
            r.get_status_display(),
            r.position.get("rate"),
            r.position.get("peer_rate"),
            r.position.get("flag", ""),
            r.outcome,
        ]  # fmt: skip
        for r in reviews
    ]


def timeliness_table(rows) -> tuple[list[str], list[list]]:
    header = ["rank", "provider", "code", "information", "specialty", "events", "received",
              "within standard", "due", "share within standard %", "median days",
              "outstanding past standard", "standard hours"]  # fmt: skip
    return header, [
        [
            r.rank,
            r.provider.name,
            r.provider.code,
            r.kind_label,
            r.specialty or "",
            r.events,
            r.received,
            r.within_standard,
            r.due,
            _share(r.share_within),
            _rate(r.median_days),
            r.outstanding,
            r.standard_hours,
        ]  # fmt: skip
        for r in rows
    ]


def held_table(rows, year: int) -> tuple[list[str], list[list]]:
    header = ["provider", "code", "month", "activity cost", "held pending information",
              "payable", "released (late information)", "events outstanding", "events"]  # fmt: skip
    return header, [
        [
            r.provider.name,
            r.provider.code,
            month_label(year, r.month),
            to_pounds(r.cost),
            to_pounds(r.held),
            to_pounds(r.payable),
            to_pounds(r.released),
            r.outstanding,
            r.expected,
        ]  # fmt: skip
        for r in rows
    ]


def schemes_table(rows) -> tuple[list[str], list[list]]:
    header = ["scheme", "commissioned by", "provider", "kind", "started on", "cases", "cost",
              "tariff cost", "saving", "% of tariff", "investment", "net saving",
              "conflicts of interest", "awaiting justification"]  # fmt: skip
    return header, [
        [
            r.scheme.name,
            r.scheme.commissioning_node.name,
            r.scheme.provider.code,
            r.scheme.get_kind_display(),
            r.scheme.started_on,
            r.cases,
            to_pounds(r.cost),
            to_pounds(r.tariff_cost),
            to_pounds(r.saving),
            r.percent_of_tariff,
            to_pounds(r.investment),
            to_pounds(r.net_saving),
            len(r.conflicts),
            r.needs_justification,
        ]  # fmt: skip
        for r in rows
    ]


def register_table(register) -> tuple[list[str], list[list]]:
    header = ["declared by", "practice", "provider", "kind", "interest", "held since",
              "ended on", "schemes affected", "justification"]  # fmt: skip
    by_interest: dict[int, list] = {}
    for conflict in register["conflicts"]:
        by_interest.setdefault(conflict.interest.pk, []).append(conflict)
    rows = []
    for i in register["interests"]:
        conflicts = by_interest.get(i.pk, [])
        rows.append(
            [
                str(i.clinician or ""),
                i.practice.name if i.practice else "",
                i.provider.name,
                i.get_kind_display(),
                i.nature,
                i.declared_on,
                i.ended_on,
                "; ".join(c.scheme.name for c in conflicts),
                "; ".join(
                    c.justification.justification if c.justification else "awaited"
                    for c in conflicts
                ),
            ]  # fmt: skip
        )
    return header, rows


def imports_table(records) -> tuple[list[str], list[list]]:
    header = ["id", "file", "kind", "status", "rows", "imported", "updated", "errors", "uploaded"]
    return header, [
        [
            r.pk,
            r.original_name,
            r.layout.label,
            r.get_status_display(),
            r.rows_total,
            r.rows_loaded,
            r.rows_updated,
            r.error_count,
            r.uploaded_at,
        ]  # fmt: skip
        for r in records
    ]
