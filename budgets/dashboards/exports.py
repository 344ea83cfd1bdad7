"""The dashboards' tables as rows for CSV and XLSX downloads (consortia.exports writes them).

Money is written in pounds as a Decimal with two places, so a spreadsheet can add it up;
percentages as Decimals; statuses as words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from budgets.activity.models import Position, RagStatus
from budgets.periods import year_label
from consortia.money import to_pounds


@dataclass(frozen=True)
class Table:
    filename: str
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]


POSITION_HEADER = [
    "code",
    "name",
    "allocation (annual budget) £",
    "YTD budget £",
    "YTD actual £",
    "variance £",
    "variance %",
    "forecast outturn £",
    "forecast variance £",
    "forecast method",
    "status",
]


def _pounds(pence: int | None):
    return None if pence is None else to_pounds(pence)


def _position_row(code: str, name: str, p: Position) -> list:
    return [
        code,
        name,
        _pounds(p.annual_budget),
        _pounds(p.ytd_budget),
        _pounds(p.ytd_actual),
        _pounds(p.variance),
        p.variance_percent,
        _pounds(p.forecast_outturn),
        _pounds(p.forecast_variance),
        p.forecast_method,
        RagStatus(p.status).label,
    ]


def _stem(node, run) -> str:
    return f"{node.code}-{year_label(run.year)}-M{run.month:02d}"


def _series_table(series: list, node, run) -> Table:
    rows = [
        [s.node.code, s.node.name, r["month"], _pounds(r["profile"]), _pounds(r["actual"])]
        for s in series
        for r in s.rows
    ]
    return Table(
        f"{_stem(node, run)}-cumulative",
        "Cumulative actual",
        ["code", "name", "month", "cumulative profile £", "cumulative actual £"],
        rows,
    )


def county_tables(data: dict) -> dict[str, Callable[[], Table]]:
    run, county = data["run"], data["commissioner"]

    def localities() -> Table:
        rows = [
            _position_row(p.organisation.code, p.organisation.name, p) for p in data["localities"]
        ]
        if data["county"]:
            rows.append(_position_row(county.code, f"{county.name} (total)", data["county"]))
        return Table(f"{_stem(county, run)}-localities", "Localities", POSITION_HEADER, rows)

    def lines() -> Table:
        return Table(
            f"{_stem(county, run)}-lines",
            "By budget line",
            ["line code", *POSITION_HEADER[1:]],
            [_position_row(p.line.code, p.line.name, p) for p in data["lines"]],
        )

    return {
        "localities": localities,
        "lines": lines,
        "cumulative": lambda: _series_table(data["series"], county, run),
    }


def node_tables(data: dict) -> dict[str, Callable[[], Table]]:
    run, node = data["run"], data["node"]

    def lines() -> Table:
        return Table(
            f"{_stem(node, run)}-lines",
            "By budget line",
            ["line code", *POSITION_HEADER[1:]],
            [_position_row(p.line.code, p.line.name, p) for p in data["lines"]],
        )

    def children() -> Table:
        return Table(
            f"{_stem(node, run)}-sub-localities",
            "Sub-localities",
            POSITION_HEADER,
            [_position_row(p.organisation.code, p.organisation.name, p) for p in data["children"]],
        )

    return {
        "lines": lines,
        "children": children,
        "practices": lambda: _practices_table(data["practices"], node, run),
        "cumulative": lambda: _series_table([data["series"]] if data["series"] else [], node, run),
    }


def _practices_table(figures: list, node, run) -> Table:
    return Table(
        f"{_stem(node, run)}-practices",
        "Practices",
        [
            "code",
            "name",
            "YTD actual £",
            f"M{run.month} actual £",
            "weighted population",
            "spend index (100 = average here)",
        ],
        [
            [
                f.practice.code,
                f.practice.name,
                _pounds(f.ytd_actual),
                _pounds(f.month_actual),
                f.weighted_population,
                f.index,
            ]
            for f in figures
        ],
    )


def practice_tables(dashboard) -> dict[str, Callable[[], Table]]:
    run, practice = dashboard.run, dashboard.practice
    months = list(range(1, run.month + 1))

    def lines() -> Table:
        return Table(
            f"{_stem(practice, run)}-lines",
            "By budget line",
            ["line code", "line", *[f"M{m} £" for m in months], "YTD actual £", "activity", "rows"],
            [
                [
                    f.line.code,
                    f.line.name,
                    *[_pounds(a) for a in f.months],
                    _pounds(f.ytd_actual),
                    f.activity,
                    f.rows,
                ]
                for f in dashboard.lines
            ],
        )

    return {
        "lines": lines,
        "neighbours": lambda: _practices_table(
            dashboard.neighbours, practice.parent or practice, run
        ),
    }


def rows_table(data: dict, queryset) -> Table:
    """Every imported row behind the figure (all pages), streamed from the database."""
    node, line = data["node"], data["line"]
    return Table(
        f"{node.code}-{line.code}-{year_label(data['year'])}-M{data['month']:02d}-rows",
        f"{line.code} M{data['month']} rows",
        [
            "row id",
            "file",
            "import",
            "provider",
            "point of delivery",
            "code",
            "activity",
            "cost £",
            "held for a closed month",
        ],
        (
            [
                row.pk,
                row.upload.original_name,
                row.upload_id,
                row.provider.code if row.provider else None,
                row.pod,
                row.code,
                row.activity,
                _pounds(row.cost),
                row.held,
            ]
            for row in queryset.iterator(chunk_size=2000)
        ),
    )
