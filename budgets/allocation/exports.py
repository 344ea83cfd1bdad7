"""Rows for the budgets downloads (CSV and XLSX), built from the same selectors as the pages.

Presentation only: money in pence becomes pounds as a two-place Decimal, so it is a number in
XLSX and "1234.56" in CSV; every rule lives in the selectors.
"""

from __future__ import annotations

from budgets.periods import year_label
from consortia.exports import Sheet
from consortia.money import to_pounds


def _pounds(pence: int | None):
    return None if pence is None else to_pounds(pence)


def allocation_header(overview: dict) -> list[str]:
    return [
        "Organisation code",
        "Organisation",
        "Level",
        *[f"{line.name} ({line.code})" for line in overview["lines"]],
        "Risk pool",
        "Total",
    ]


def allocation_rows(overview: dict) -> list[list]:
    """The allocations table as on the page: a row per node, locality subtotals, totals and
    the approved envelope (when the reader sees the whole commissioner)."""
    out = []
    for row in overview["rows"]:
        org = row["organisation"]
        out.append(
            [
                org.code,
                f"{org.name} (with sub-localities)" if row["subtotal"] else org.name,
                "Subtotal" if row["subtotal"] else org.get_kind_display(),
                *[_pounds(v) for v in row["values"]],
                _pounds(row["risk_pool"]),
                _pounds(row["total"]),
            ]
        )
    out.append(
        [
            "",
            "Total",
            "",
            *[_pounds(v) for v in overview["column_totals"]],
            _pounds(overview["risk_pool_total"]),
            _pounds(overview["total"]),
        ]
    )
    if overview["envelope"] is not None:
        out.append(
            [
                "",
                "Approved envelope",
                "",
                *[_pounds(v) for v in overview["envelope"]],
                None,
                _pounds(overview["envelope_total"]),
            ]
        )
    return out


def allocation_filename(overview: dict, extension: str) -> str:
    return f"allocations-{overview['commissioner'].code}-{year_label(overview['year'])}.{extension}"


STEP_HEADER = [
    "Locality code",
    "Locality",
    "Registered population",
    "Age-weighted population",
    "Need index",
    "Market forces factor",
    "Sparsity factor",
    "Weighted population",
    "Target share",
    "Line code",
    "Line",
    "Line category",
    "Target (£)",
    "Last year's baseline (£)",
    "Uplifted baseline (£)",
    "Capped move (£)",
    "Proposal (£)",
    "Change from last year (£)",
]


def model_run_step_rows(explanation: dict) -> list[list]:
    """One row per locality and line with every step from population to proposal."""
    out = []
    for row in explanation["localities"]:
        steps = [
            row.locality.code,
            row.locality.name,
            row.population,
            row.age_weighted_population,
            row.need_index,
            row.market_forces,
            row.sparsity,
            row.weighted_population,
            row.target_share,
        ]
        for rl in row.line_rows:
            out.append(
                [
                    *steps,
                    rl.line.code,
                    rl.line.name,
                    rl.line.get_category_display(),
                    _pounds(rl.target),
                    _pounds(rl.baseline),
                    _pounds(rl.uplifted_baseline),
                    _pounds(rl.capped_move),
                    _pounds(rl.proposal),
                    _pounds(rl.change),
                ]
            )
    return out


PRACTICE_HEADER = [
    "Practice code",
    "Practice",
    "Locality code",
    "Locality",
    "Registered population",
    "Weighted population",
    "Indicative target, delegated lines (£)",
]


def model_run_practice_rows(explanation: dict) -> list[list]:
    rows = [
        [
            p.practice.code,
            p.practice.name,
            p.locality.code,
            p.locality.name,
            p.population,
            p.weighted_population,
            _pounds(p.indicative_target),
        ]
        for p in explanation["practices"]
    ]
    totals = explanation["practice_totals"]
    rows.append(
        [
            "",
            "Total",
            "",
            "",
            totals["population"],
            totals["weighted_population"],
            _pounds(totals["indicative_target"]),
        ]
    )
    return rows


def model_run_sheets(explanation: dict) -> list[Sheet]:
    """Every step of a run as worksheets: parameters, weighting, lines, totals, practices."""
    run, params = explanation["run"], explanation["parameters"]
    parameter_rows = [
        ["Model run", f"#{run.pk} {year_label(run.year)} ({run.get_status_display()})"],
        ["Parameter set", f"{params.name} v{params.version}"],
        ["Effective from", params.effective_from],
        ["Population date", run.population_date],
        ["Need weight", params.need_weight],
        ["Pace of change (%)", params.pace_of_change_percent],
        ["Where the figures come from", params.sources],
    ]
    parameter_rows += [
        [f"Age weight {w['band']}", f"male {w['male']}, female {w['female']}"]
        for w in explanation["age_weights"]
    ]
    weighting = [
        [
            row.locality.code,
            row.locality.name,
            row.population,
            row.age_weighted_population,
            row.need_index,
            row.market_forces,
            row.sparsity,
            row.weighted_population,
            row.target_share,
        ]
        for row in explanation["localities"]
    ]
    lt = explanation["locality_totals"]
    weighting.append(
        [
            "",
            "Total",
            lt["population"],
            lt["age_weighted_population"],
            None,
            None,
            None,
            lt["weighted_population"],
            lt["target_share"],
        ]
    )
    totals = [
        [
            t["line"].code,
            t["line"].name,
            t["line"].get_category_display(),
            _pounds(t["envelope"]),
            _pounds(t["target"]),
            _pounds(t["baseline"]),
            _pounds(t["uplifted_baseline"]),
            _pounds(t["capped_move"]),
            _pounds(t["proposal"]),
            _pounds(t["change"]),
            "yes" if t["balanced"] else "NO",
        ]
        for t in explanation["line_totals"]
    ]
    return [
        Sheet("Parameters", ["Parameter", "Value"], parameter_rows),
        Sheet("Weighting", STEP_HEADER[:9], weighting),
        Sheet("Lines", STEP_HEADER, model_run_step_rows(explanation)),
        Sheet(
            "Totals",
            [
                "Line code",
                "Line",
                "Line category",
                "Envelope (£)",
                "Sum of targets (£)",
                "Sum of baselines (£)",
                "Sum of uplifted baselines (£)",
                "Sum of capped moves (£)",
                "Sum of proposals (£)",
                "Change from last year (£)",
                "Targets and proposals equal the envelope",
            ],
            totals,
        ),
        Sheet("Practices", PRACTICE_HEADER, model_run_practice_rows(explanation)),
    ]


def model_run_filename(explanation: dict, part: str, extension: str) -> str:
    run = explanation["run"]
    return f"model-run-{run.pk}-{year_label(run.year)}-{part}.{extension}"
