"""The file of outcome counts, declared for the import pipeline (consortia/imports).

Columns area, measure, period and count. The area is the commissioner, a locality or
sub-locality, or a comparator; the period a financial year (2009-10) or a month of one
(2010-11 M1). A later file's count for the same area, measure and period replaces the earlier
one (the upload says how many it replaced).
"""

from __future__ import annotations

import polars as pl

from consortia.imports.layouts import (
    CheckContext,
    Choice,
    Column,
    Count,
    Layout,
    LoadResult,
    Parsed,
    Rule,
    Text,
    layout_register,
)
from consortia.models import Organisation, OrganisationKind

from .models import OutcomeComparator, OutcomeCount, OutcomeMeasure
from .periods import parse_period

KIND = "outcomes.counts"
AREA_KINDS = [
    OrganisationKind.COMMISSIONER,
    OrganisationKind.LOCALITY,
    OrganisationKind.SUB_LOCALITY,
]
# What a measure may be called in a file: its code, its name, or the activity files' short code.
MEASURE_NAMES = {
    **{m.value: m.value for m in OutcomeMeasure},
    **{m.label.lower(): m.value for m in OutcomeMeasure},
    "nel": OutcomeMeasure.NON_ELECTIVE_ADMISSIONS.value,
    "ae": OutcomeMeasure.AE_ATTENDANCES.value,
    "a&e": OutcomeMeasure.AE_ATTENDANCES.value,
    "opfa": OutcomeMeasure.FIRST_OUTPATIENTS.value,
    "first outpatients": OutcomeMeasure.FIRST_OUTPATIENTS.value,
}


def _period(text: str) -> int:
    year, month = parse_period(text)
    return year * 100 + month


def _context(upload) -> CheckContext:
    commissioner = upload.commissioner
    within = Organisation.objects.filter(path__startswith=commissioner.path)
    nodes = dict(within.filter(kind__in=AREA_KINDS).values_list("code", "id"))
    return CheckContext(
        upload=upload,
        lookups={
            "node": nodes,
            "comparator": dict(
                OutcomeComparator.objects.filter(commissioner=commissioner).values_list(
                    "code", "id"
                )
            ),
        },
        extra={
            "practices": list(
                within.filter(kind=OrganisationKind.PRACTICE).values_list("code", flat=True)
            ),
            "example": next(iter(sorted(c for c in nodes if c != commissioner.code)), ""),
        },
    )


def _derive(ctx: CheckContext):
    yield [
        pl.col("area")
        .replace_strict(ctx.lookups["node"], default=None, return_dtype=pl.Int64)
        .alias("organisation_id"),
        pl.col("area")
        .replace_strict(ctx.lookups["comparator"], default=None, return_dtype=pl.Int64)
        .alias("comparator_id"),
        (pl.col("period") // 100).alias("year"),
        (pl.col("period") % 100).alias("month"),
    ]


def _rules(ctx: CheckContext):
    code = ctx.upload.commissioner.code
    unknown = (
        pl.col("area").is_not_null()
        & pl.col("organisation_id").is_null()
        & pl.col("comparator_id").is_null()
    )
    practice = pl.col("area").is_in(ctx.extra["practices"])
    known = ", ".join(sorted(ctx.lookups["comparator"])) or "none yet"
    return [
        Rule(
            "area",
            unknown & practice,
            pl.format(
                "{} is a practice: outcomes are counted for {}, its localities and "
                "sub-localities, or a comparator.",
                pl.col("area"),
                pl.lit(code),
            ),
        ),
        Rule(
            "area",
            unknown & ~practice,
            pl.format(
                "Unknown area '{}': use {}, a locality or sub-locality code (e.g. {}), or a "
                "comparator ({}).",
                pl.col("area__text"),
                pl.lit(code),
                pl.lit(ctx.extra["example"]),
                pl.lit(known),
            ),
        ),
    ]


def _may_view(user, upload) -> bool:
    """Outcomes are for everyone with a role in the commissioner's tree, as their pages are."""
    from .selectors import outcome_commissioners_for

    return upload.commissioner in outcome_commissioners_for(user=user)


def _load(upload, batches, ctx: CheckContext) -> LoadResult:
    """Add each count, or replace the count of the same area, measure and period."""
    commissioner = upload.commissioner
    # One import at a time per commissioner, so two files adding the same count queue.
    Organisation.objects.select_for_update().filter(pk=commissioner.pk).first()
    existing = {
        (c.area, c.measure, c.year, c.month): c
        for c in OutcomeCount.objects.filter(commissioner=commissioner)
    }
    added, replaced = [], []
    for batch in batches:
        for row in batch.iter_rows(named=True):
            current = existing.get((row["area"], row["measure"], row["year"], row["month"]))
            if current is None:
                added.append(
                    OutcomeCount(
                        commissioner=commissioner,
                        area=row["area"],
                        organisation_id=row["organisation_id"],
                        comparator_id=row["comparator_id"],
                        measure=row["measure"],
                        year=row["year"],
                        month=row["month"],
                        count=row["count"],
                        upload=upload,
                    )
                )
            else:
                current.count, current.upload = row["count"], upload
                replaced.append(current)
    OutcomeCount.objects.bulk_create(added, batch_size=1000)
    OutcomeCount.objects.bulk_update(replaced, ["count", "upload"], batch_size=1000)
    return LoadResult(loaded=len(added), updated=len(replaced))


OUTCOMES = layout_register(
    Layout(
        kind=KIND,
        label="Outcome counts",
        description="Counts of a measure by area and period, set beside a comparator.",
        columns=(
            Column("area", Text(max_length=20, upper=True),
                   help="The commissioner, a locality or sub-locality, or a comparator (e.g. ENG)",
                   example="5NE-CAR"),
            Column("measure",
                   Choice(choices=MEASURE_NAMES, message="is not a measure: use one of "
                          + ", ".join(m.value for m in OutcomeMeasure) + "."),
                   help="One of " + ", ".join(m.value for m in OutcomeMeasure),
                   example=OutcomeMeasure.NON_ELECTIVE_ADMISSIONS.value),
            Column("period", Parsed(parse=_period, dtype=pl.Int32),
                   help="A financial year (2009-10) or a month of one (2010-11 M1)",
                   example="2010-11 M1"),
            Column("count", Count(), help="Whole number, 0 or more", example="412"),
        ),
        output=("area", "organisation_id", "comparator_id", "measure", "year", "month", "count"),
        derive=_derive,
        rules=_rules,
        unique_by=("area", "measure", "year", "month"),
        duplicate_what="the same area, measure and period twice",
        loader=_load,
        context=_context,
        permission="manage_tree",
        may_view=_may_view,
    )
)  # fmt: skip
