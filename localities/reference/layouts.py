"""Published reference files, declared for the import pipeline (consortia/imports).

- **List sizes**: registered patients by sex and ten-year age band per practice, for a stated
  date, in NHS BSA's quarterly layout ("Practice Code", "Male 0-4", "Female 0-4", ... "Female
  75+"; other columns ignored) or our template. Rows of organisations outside the tree with no
  patients (the out-of-hours and walk-in services the publication lists) are skipped; an unknown
  code with patients is an error. A practice's figures for a date are recorded once: the same
  figures again change nothing, other figures are refused (history is kept by date).
- **Weighted populations**: NHS England's allocations tool practice output for a financial year
  (Practice_Code, Patients, pop YYYY/YY, G&A WP, CS WP, MH WP, Mat WP, Health Ineq WP, Prescr WP,
  Final WP, Primary Medical Care WP).
"""

from __future__ import annotations

import polars as pl

from consortia.imports.layouts import (
    CheckContext,
    Code,
    Column,
    Count,
    Layout,
    LoadResult,
    Quantity,
    Rule,
    Text,
    layout_register,
)
from consortia.models import Organisation, OrganisationKind

from ..models import AGE_BANDS, ListSizeBand, ListSizeSnapshot, Sex, WeightedPopulation

LIST_SIZES = "reference.list_sizes"
WEIGHTED_POPULATIONS = "reference.weighted_populations"
KINDS = [LIST_SIZES, WEIGHTED_POPULATIONS]
SEXES = {Sex.MALE: "male", Sex.FEMALE: "female"}
BANDS = [(sex, band, f"{word}_{band.replace('-', '_')}") for sex, word in SEXES.items()
         for band in AGE_BANDS]  # fmt: skip


def _practices(upload) -> dict[str, int]:
    return dict(
        Organisation.objects.filter(
            path__startswith=upload.commissioner.path, kind=OrganisationKind.PRACTICE
        ).values_list("code", "id")
    )


# --- List sizes -------------------------------------------------------------------------------


def _list_sizes_context(upload) -> CheckContext:
    return CheckContext(upload=upload, lookups={"practice": _practices(upload)})


def _list_sizes_derive(ctx: CheckContext):
    yield [
        pl.col("practice_code")
        .replace_strict(ctx.lookups["practice"], default=None, return_dtype=pl.Int64)
        .alias("practice_id"),
        pl.sum_horizontal([pl.col(column) for _, _, column in BANDS]).alias("bands_total"),
    ]


def _list_sizes_rules(ctx: CheckContext):
    return [
        Rule(
            "practice_code",
            pl.col("practice_id").is_null() & (pl.col("bands_total") > 0),
            pl.format("Unknown practice '{}'.", pl.col("practice_code__text")),
        ),
        Rule(
            "registered_patients",
            pl.col("registered_patients").is_not_null()
            & (pl.col("registered_patients") != pl.col("bands_total")),
            pl.format(
                "The age bands add up to {}; the total says {}.",
                pl.col("bands_total"),
                pl.col("registered_patients"),
            ),
        ),
    ]


def _list_sizes_load(upload, batches, ctx: CheckContext) -> LoadResult:
    """One snapshot per practice for the upload's date, with its bands."""
    source = f"{upload.original_name} (import #{upload.pk})"
    loaded = skipped = 0
    errors = []
    for batch in batches:
        rows = [r for r in batch.iter_rows(named=True) if r["practice_id"] is not None]
        skipped += batch.height - len(rows)
        existing = {
            s.practice_id: s
            for s in ListSizeSnapshot.objects.filter(
                practice_id__in=[r["practice_id"] for r in rows], as_of=upload.as_of
            ).prefetch_related("bands")
        }
        snapshots, bands = [], []
        for row in rows:
            figures = {(sex, band): row[column] for sex, band, column in BANDS}
            before = existing.get(row["practice_id"])
            if before is not None:
                if {(b.sex, b.age_band): b.patients for b in before.bands.all()} != figures:
                    errors.append(
                        (
                            row["row_number"],
                            "practice_code",
                            f"{row['practice_code']} already has list sizes for "
                            f"{upload.as_of:%d %b %Y} with other figures: a new quarter is "
                            "a file of its own date, so the history is kept.",
                        )
                    )
                continue
            snapshot = ListSizeSnapshot(
                practice_id=row["practice_id"],
                as_of=upload.as_of,
                registered_patients=row["bands_total"],
                source=source,
                upload=upload,
            )
            snapshots.append(snapshot)
            bands += [
                ListSizeBand(snapshot=snapshot, sex=sex, age_band=band, patients=patients)
                for (sex, band), patients in figures.items()
            ]
        ListSizeSnapshot.objects.bulk_create(snapshots)
        ListSizeBand.objects.bulk_create(bands, batch_size=2000)
        loaded += len(snapshots)
    return LoadResult(loaded=loaded, updated=0, errors=errors, skipped=skipped)


layout_register(
    Layout(
        kind=LIST_SIZES,
        label="Practice list sizes",
        description="Registered patients by sex and age band per practice, for a stated date "
        "(NHS BSA's quarterly layout, or this template).",
        columns=(
            Column("practice_code", Text(max_length=10, upper=True),
                   help="ODS code of the practice", example="A82015", aliases=("Practice Code",)),
            *(Column(column, Count(), help=f"{'Men' if sex == Sex.MALE else 'Women'} aged {band}",
                     example="250", aliases=(f"{SEXES[sex].title()} {band}",))
              for sex, band, column in BANDS),
            Column("registered_patients", Count(), required=False,
                   help="Total registered (optional: checked against the bands)", example="4500",
                   aliases=("Total",)),
        ),
        output=("practice_id", "practice_code", "bands_total",
                *(column for _, _, column in BANDS)),
        derive=_list_sizes_derive,
        rules=_list_sizes_rules,
        unique_by=("practice_code",),
        duplicate_what="the same practice twice",
        loader=_list_sizes_load,
        context=_list_sizes_context,
        as_of=True,
        permission="manage_tree",
    )
)  # fmt: skip


# --- Weighted populations ---------------------------------------------------------------------

COMPONENTS = [
    ("general_and_acute", "G&A WP", "General and acute"),
    ("community_services", "CS WP", "Community services"),
    ("mental_health", "MH WP", "Mental health"),
    ("maternity", "Mat WP", "Maternity"),
    ("health_inequalities", "Health Ineq WP", "Health inequalities"),
    ("prescribing", "Prescr WP", "Prescribing"),
    ("final", "Final WP", "Final (the formula's weighted population)"),
]
# The published column of the year's population is named after the year: "pop 2022/23".
POPULATION_ALIASES = tuple(f"pop {y}/{(y + 1) % 100:02d}" for y in range(2010, 2041))


def _weighted_context(upload) -> CheckContext:
    return CheckContext(upload=upload, year=upload.year, lookups={"practice": _practices(upload)})


def _weighted_load(upload, batches, ctx: CheckContext) -> LoadResult:
    """A year's figures per practice; a revision of the year's file replaces its figures."""
    if upload.revision_of_id:
        WeightedPopulation.objects.filter(upload_id=upload.revision_of_id).delete()
    existing = set(
        WeightedPopulation.objects.filter(
            year=upload.year, practice__path__startswith=upload.commissioner.path
        ).values_list("practice_id", flat=True)
    )
    source = f"{upload.original_name} (import #{upload.pk})"
    loaded, errors = 0, []
    for batch in batches:
        rows = []
        for row in batch.iter_rows(named=True):
            if row["practice_code"] in existing:
                errors.append(
                    (
                        row["row_number"],
                        "practice_code",
                        "This practice already has a weighted population for the year (from "
                        "another file): send a revised publication as a revision of that file.",
                    )
                )
                continue
            rows.append(
                WeightedPopulation(
                    practice_id=row["practice_code"],
                    year=upload.year,
                    registered_patients=row["registered_patients"],
                    population=row["population"],
                    primary_medical_care=row["primary_medical_care"],
                    source=source,
                    upload=upload,
                    **{name: row[name] for name, _, _ in COMPONENTS},
                )
            )
        WeightedPopulation.objects.bulk_create(rows, batch_size=2000)
        loaded += len(rows)
    return LoadResult(loaded=loaded, errors=errors)


layout_register(
    Layout(
        kind=WEIGHTED_POPULATIONS,
        label="Weighted populations (NHS England)",
        description="NHS England's practice weighted populations for a financial year: the "
        "allocations tool's practice output, as published.",
        columns=(
            Column("practice_code", Code(lookup="practice", what="practice"),
                   help="ODS code of the practice", example="A82015", aliases=("Practice_Code",)),
            Column("registered_patients", Count(), help="Registered patients", example="11310",
                   aliases=("Patients",)),
            Column("population", Quantity(), help="The population the formula uses (pop YYYY/YY)",
                   example="11341.87316", aliases=POPULATION_ALIASES),
            *(Column(name, Quantity(), help=f"{label} weighted population", example="12270.41",
                     aliases=(published,))
              for name, published, label in COMPONENTS),
            Column("primary_medical_care", Quantity(), required=False,
                   help="Primary medical care weighted population (optional)", example="11427.93",
                   aliases=("Primary Medical Care WP",)),
        ),
        output=("practice_code", "registered_patients", "population", "primary_medical_care",
                *(name for name, _, _ in COMPONENTS)),
        unique_by=("practice_code",),
        duplicate_what="the same practice twice",
        loader=_weighted_load,
        context=_weighted_context,
        period="year",
        permission="manage_tree",
    )
)  # fmt: skip
