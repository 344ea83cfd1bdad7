"""Checking a batch of rows against a layout, as vectorised expressions.

Each cell is trimmed once and parsed once; each column's rule and each rule across columns is one
boolean expression; a batch without a failing row (the usual case) costs no error work at all.
The errors of a failing batch are (row, column, message), in row order and, within a row, in the
order of the layout's columns and then its rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .layouts import CheckContext, Layout

TEXT = "{}__text"
# A batch fits in memory: polars' streaming engine (its default) spends a third more time
# scheduling a batch of this size across its executor threads.
ENGINE = "in-memory"
ERROR_SCHEMA = {"row": pl.Int64, "order": pl.Int32, "column": pl.String, "message": pl.String}


@dataclass
class CheckedBatch:
    rows: pl.DataFrame  # row_number and the layout's output columns, for rows without errors
    errors: pl.DataFrame  # row, order, column, message
    row_count: int
    hashes: pl.Series | None  # a 64-bit hash of each good row's unique_by values
    money_total: int


def _column_checks(layout: Layout, ctx: CheckContext):
    """(order, column, fails, message) for each column's own rule: blank, or broken."""
    checks = []
    for order, column in enumerate(layout.columns):
        text = pl.col(TEXT.format(column.name))
        value = pl.col(column.name)
        if column.required:
            checks.append((order, column.name, text == "", pl.lit("This cell is blank.")))
        checks.append(
            (order, column.name, (text != "") & value.is_null(), column.type.problem(text, ctx))
        )
    return checks


def _rule_checks(layout: Layout, ctx: CheckContext):
    base = len(layout.columns)
    return [
        (order, rule.column, rule.fails.fill_null(False), rule.message)
        for order, rule in enumerate(layout.rules(ctx), start=base)
    ]


def check_batch(layout: Layout, batch: pl.DataFrame, ctx: CheckContext) -> CheckedBatch:
    """Parse and check one batch: its good rows (the layout's output) and its errors.

    Each column's own rule is evaluated on the parsed values before the layout derives new
    values (which may reuse a column's name, e.g. a cost priced from the tariff), then the rules
    across columns on the derived values. Messages read only the cells' text.
    """
    present = set(batch.columns)
    texts = [
        (pl.col(c.name).fill_null("").str.strip_chars() if c.name in present else pl.lit(""))
        .cast(pl.String)
        .alias(TEXT.format(c.name))
        for c in layout.columns
    ]
    in_file = [TEXT.format(c.name) for c in layout.columns if c.name in present]
    frame = batch.lazy().select("row_number", *texts)
    if in_file:  # a blank line is not a row
        frame = frame.filter(pl.any_horizontal([pl.col(name) != "" for name in in_file]))
    frame = frame.with_columns(
        pl.when(pl.col(TEXT.format(c.name)) != "")
        .then(c.type.value(pl.col(TEXT.format(c.name)), ctx))
        .cast(c.type.dtype)
        .alias(c.name)
        for c in layout.columns
    )
    column_checks = _column_checks(layout, ctx)
    frame = frame.with_columns(
        fails.alias(f"__fails{i}") for i, (_, _, fails, _) in enumerate(column_checks)
    )
    for stage in layout.derive(ctx):
        frame = frame.with_columns(stage)
    rule_checks = _rule_checks(layout, ctx)
    frame = frame.with_columns(
        fails.alias(f"__fails{i}")
        for i, (_, _, fails, _) in enumerate(rule_checks, start=len(column_checks))
    )
    checks = column_checks + rule_checks
    frame = frame.with_columns(
        pl.any_horizontal([f"__fails{i}" for i in range(len(checks))]).alias("__bad")
        if checks
        else pl.lit(False).alias("__bad")
    )
    # Only what the loader, the duplicate check and the control total need is materialised; a
    # batch with a failing row is evaluated again in full to word its errors (the rare case).
    keep = list(dict.fromkeys(["row_number", *layout.output, *layout.unique_by]))
    if layout.money_column and layout.money_column not in keep:
        keep.append(layout.money_column)
    extra = [pl.col("__bad")]
    if layout.unique_by:
        extra.append(pl.struct(list(layout.unique_by)).hash(seed=7).alias("__hash"))
    checked = frame.select(*keep, *extra).collect(engine=ENGINE)
    count = checked.height  # blank lines are not rows
    if checked["__bad"].any():
        full = frame.collect(engine=ENGINE)
        bad = full.filter(pl.col("__bad"))
        errors = (
            pl.concat(
                [
                    bad.lazy()
                    .filter(pl.col(f"__fails{i}"))
                    .select(
                        pl.col("row_number").alias("row"),
                        pl.lit(order, dtype=pl.Int32).alias("order"),
                        pl.lit(column).alias("column"),
                        message.cast(pl.String).alias("message"),
                    )
                    for i, (order, column, _, message) in enumerate(checks)
                ]
            )
            .collect(engine=ENGINE)
            .sort(["row", "order"])
        )
        checked = checked.filter(~pl.col("__bad"))
    else:
        errors = pl.DataFrame(schema=ERROR_SCHEMA)
    rows = checked.select("row_number", *layout.output)
    hashes = checked["__hash"] if layout.unique_by else None
    total = int(checked[layout.money_column].sum() or 0) if layout.money_column else 0
    return CheckedBatch(rows, errors, count, hashes, total)
