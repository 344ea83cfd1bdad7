"""Outcome tables as rows for CSV and XLSX downloads (consortia.exports writes them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .models import OutcomeMeasure


@dataclass(frozen=True)
class Table:
    filename: str
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]


def comparison_table(data: dict) -> Table:
    comparators = data["comparators"]
    header = [
        "measure",
        "area code",
        "area",
        "kind",
        "period before",
        "count before",
        "period after",
        "count after",
        "change %",
        *[f"{name} change %" for name in comparators],
        "difference from comparator (points)",
    ]
    rows = []
    for comparison in data["comparisons"]:
        for row in comparison.rows + comparison.comparators:
            rows.append(
                [
                    comparison.label,
                    row.code,
                    row.name,
                    row.kind.replace("_", "-"),
                    comparison.before_label,
                    row.before,
                    comparison.after_label,
                    row.after,
                    row.change,
                    *(
                        row.comparator_changes
                        if row.kind != "comparator"
                        else [None] * len(comparators)
                    ),
                    row.difference,
                ]
            )
    return Table(f"{data['commissioner'].code}-outcomes-comparison", "Outcomes", header, rows)


def counts_table(counts) -> Table:
    return Table(
        "outcome-counts",
        "Outcome counts",
        ["area", "area name", "measure", "period", "count", "import"],
        (
            [
                c.area,
                (c.organisation or c.comparator).name,
                OutcomeMeasure(c.measure).label,
                c.period,
                c.count,
                c.upload_id,
            ]
            for c in counts.iterator()
        ),
    )
