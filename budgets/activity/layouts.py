"""The four activity files, declared for the import pipeline (consortia/imports), and how each
row is charged to a budget line.

Hospital rows go to contracted PbR, non-contract PbR or independent sector by their flags, and
are priced at the national tariff when the file gives no cost. `month` is "2010-04" (calendar)
or "M1".."M12" (financial: M1 is April). Money is pounds with at most two decimal places.
"""

from __future__ import annotations

import polars as pl

from budgets.ledger.models import BudgetLine
from consortia.imports.layouts import (
    CheckContext,
    Choice,
    Code,
    Column,
    Count,
    Layout,
    LoadResult,
    Money,
    Month,
    Rule,
    Text,
    YesNo,
    layout_register,
    year_label,
)
from consortia.models import Organisation, OrganisationKind

from .models import MonthClose, PointOfDelivery, Provider, TariffPrice

KIND_PREFIX = "activity."
OUTPUT = ("month", "locality_id", "organisation_id", "line_id", "provider_id", "pod", "code",
          "activity", "cost")  # fmt: skip
UNIQUE = ("month", "organisation_id", "line_id", "provider_id", "pod", "code", "activity", "cost")

# The budget line (by code) each kind of row is charged to.
LINE_CODES = {
    "hospital_contract": "SC-PBR",
    "hospital_non_contract": "SC-NCA",
    "hospital_independent": "SC-IS",
    "excluded": "SC-EXCL",
    "prescribing": "PRESC",
    "community": "COMM",
}


def kind_of(short: str) -> str:
    """ "hospital" -> "activity.hospital" (the upload's kind)."""
    return KIND_PREFIX + short


def activity_context(upload) -> CheckContext:
    commissioner = upload.commissioner
    nodes = Organisation.objects.filter(path__startswith=commissioner.path)
    paths = dict(nodes.values_list("id", "path"))
    locality_ids = {path: pk for pk, path in paths.items() if path.count("/") == 3}
    locality_of = {
        pk: locality_ids["/".join(path.split("/")[:3]) + "/"]
        for pk, path in paths.items()
        if path.count("/") >= 3
    }
    providers = dict(Provider.objects.filter(commissioner=commissioner).values_list("code", "id"))
    tariff = {
        f"{code.upper()}|{pod}": price
        for code, pod, price in TariffPrice.objects.filter(year=upload.year).values_list(
            "code", "pod", "price"
        )
    }
    return CheckContext(
        upload=upload,
        year=upload.year,
        month=upload.month,
        lookups={
            "practice": dict(
                nodes.filter(kind=OrganisationKind.PRACTICE).values_list("code", "id")
            ),
            "node": dict(
                nodes.filter(
                    kind__in=[OrganisationKind.LOCALITY, OrganisationKind.SUB_LOCALITY]
                ).values_list("code", "id")
            ),
            "provider": providers,
            "locality_of": locality_of,
            "tariff": tariff,
        },
        extra={
            "lines": dict(
                BudgetLine.objects.filter(commissioner=commissioner).values_list("code", "id")
            ),
            "provider_id": providers.get(upload.source.upper()) if upload.source else None,
            "closed_months": set(
                MonthClose.objects.filter(
                    commissioner=commissioner, year=upload.year, reopened_at__isnull=True
                ).values_list("month", flat=True)
            ),
        },
    )


def _load(upload, batches, ctx: CheckContext) -> LoadResult:
    from .loader import activity_rows_load

    loaded, held = activity_rows_load(
        upload=upload,
        year=upload.year,
        batches=batches,
        closed_months=ctx.extra["closed_months"],
    )
    return LoadResult(loaded=loaded, held=held)


def _line(ctx: CheckContext, key: str) -> pl.Expr:
    return pl.lit(ctx.extra["lines"].get(LINE_CODES[key]), dtype=pl.Int64)


def _locality(ctx: CheckContext) -> pl.Expr:
    return (
        pl.col("organisation_id")
        .replace_strict(ctx.lookups["locality_of"], default=None, return_dtype=pl.Int64)
        .alias("locality_id")
    )


def _line_rule(ctx: CheckContext, key: pl.Expr | str) -> Rule:
    code = pl.lit(LINE_CODES[key]) if isinstance(key, str) else key
    return Rule(
        "",
        pl.col("line_id").is_null(),
        pl.format("The commissioner has no budget line {}.", code),
    )


def _provider_rule(ctx: CheckContext) -> Rule:
    expected = ctx.extra["provider_id"]
    return Rule(
        "provider_code",
        pl.lit(expected is not None) & (pl.col("provider_code") != pl.lit(expected)),
        pl.format(
            "This file is for {}; the row says {}.",
            pl.lit(ctx.upload.source.upper() if ctx.upload else ""),
            pl.col("provider_code__text").str.to_uppercase(),
        ),
    )


PROVIDER = Column(
    "provider_code",
    Code(lookup="provider", what="provider"),
    help="ODS code of the provider; must be the file's provider",
    example="RNL",
)
PRACTICE = Column(
    "practice_code",
    Code(lookup="practice", what="practice"),
    help="ODS code of the registered practice",
    example="A82015",
)
MONTH = Column("month", Month(), help="2010-04 or M1", example="2010-04")
PODS = {p: p for p in PointOfDelivery.values}
POD_MESSAGE = f"is not a point of delivery ({', '.join(PointOfDelivery.values)})."


def _hospital_derive(ctx: CheckContext):
    independent, contract = pl.col("independent_sector"), pl.col("contract")
    yield [
        pl.col("practice_code").alias("organisation_id"),
        pl.col("provider_code").alias("provider_id"),
        (pl.col("code") + "|" + pl.col("pod"))
        .replace_strict(ctx.lookups["tariff"], default=None, return_dtype=pl.Int64)
        .alias("tariff_price"),
        pl.when(independent)
        .then(_line(ctx, "hospital_independent"))
        .when(contract)
        .then(_line(ctx, "hospital_contract"))
        .otherwise(_line(ctx, "hospital_non_contract"))
        .alias("line_id"),
        pl.when(independent)
        .then(pl.lit(LINE_CODES["hospital_independent"]))
        .when(contract)
        .then(pl.lit(LINE_CODES["hospital_contract"]))
        .otherwise(pl.lit(LINE_CODES["hospital_non_contract"]))
        .alias("line_code"),
        pl.col("cost").alias("given_cost"),
    ]
    yield [
        _locality(ctx),
        pl.coalesce(pl.col("cost"), pl.col("tariff_price") * pl.col("activity")).alias("cost"),
    ]


def _hospital_rules(ctx: CheckContext):
    return [
        _provider_rule(ctx),
        Rule(
            "code",
            (pl.col("cost__text") == "")
            & pl.col("activity").is_not_null()
            & pl.col("pod").is_not_null()
            & pl.col("code").is_not_null()
            & pl.col("tariff_price").is_null(),
            pl.format(
                "No national tariff for '{}' at {} in {}: give a cost, or check the code.",
                pl.col("code"),
                pl.col("pod"),
                pl.lit(year_label(ctx.year)),
            ),
        ),
        _line_rule(ctx, pl.col("line_code")),
    ]


def _fixed_line(key: str, *, provider: bool, organisation: str, code=None, activity=None):
    def derive(ctx: CheckContext):
        yield [
            pl.col(organisation).alias("organisation_id"),
            (pl.col("provider_code") if provider else pl.lit(None, dtype=pl.Int64)).alias(
                "provider_id"
            ),
            _line(ctx, key).alias("line_id"),
            pl.lit("").alias("pod"),
            (code if code is not None else pl.lit("")).alias("code"),
            (activity if activity is not None else pl.lit(0, dtype=pl.Int64)).alias("activity"),
        ]
        yield [_locality(ctx)]

    return derive


def _declared_month_rule(ctx: CheckContext) -> Rule:
    """Each file holds the month it was declared for: a row of another month is refused."""
    return Rule(
        "month",
        pl.col("month") != pl.lit(ctx.month),
        pl.format(
            "'{}' is M{}, but this file was declared as M{} of {}: each file holds one month.",
            pl.col("month__text"),
            pl.col("month"),
            pl.lit(ctx.month),
            pl.lit(year_label(ctx.year)),
        ),
    )


def _register(short, label, columns, derive, rules, *, source=None, description=""):
    return layout_register(
        Layout(
            kind=kind_of(short),
            label=label,
            columns=tuple(columns),
            output=OUTPUT,
            loader=_load,
            context=activity_context,
            derive=derive,
            rules=lambda ctx: [_declared_month_rule(ctx), *rules(ctx)],
            unique_by=UNIQUE,
            duplicate_what="the same activity twice",
            money_column="cost",
            period="month",
            source=source,
            description=description,
        )
    )


HOSPITAL = _register(
    "hospital",
    "Hospital activity",
    [
        PROVIDER,
        PRACTICE,
        MONTH,
        Column("pod", Choice(choices=PODS, message=POD_MESSAGE), help="Point of delivery: "
               + ", ".join(PointOfDelivery.values), example="OPFA"),
        Column("code", Text(max_length=20, upper=True),
               help="HRG (e.g. BZ02Z) or treatment function code (e.g. 130)", example="130"),
        Column("activity", Count(), help="Number of spells or attendances (whole number, 0 or more)",
               example="12"),
        Column("cost", Money(), required=False,
               help="Cost in pounds; blank to price it at the national tariff", example=""),
        Column("contract", YesNo(), help="Y if under the PCT's contract with the provider, N if not",
               example="Y"),
        Column("independent_sector", YesNo(), help="Y for an independent-sector provider, else N",
               example="N"),
    ],
    _hospital_derive,
    _hospital_rules,
    source="provider",
)  # fmt: skip
EXCLUDED = _register(
    "excluded",
    "PbR-excluded drugs and devices",
    [PROVIDER, PRACTICE, MONTH,
     Column("cost", Money(), help="Cost in pounds", example="1520.00")],
    _fixed_line("excluded", provider=True, organisation="practice_code"),
    lambda ctx: [_provider_rule(ctx), _line_rule(ctx, "excluded")],
    source="provider",
)  # fmt: skip
PRESCRIBING = _register(
    "prescribing",
    "Prescribing",
    [PRACTICE, MONTH,
     Column("items", Count(), help="Prescription items (whole number, 0 or more)", example="5120"),
     Column("nic", Money(message="is not an amount in pounds."), help="Net ingredient cost in pounds",
            example="48210.55"),
     Column("actual_cost", Money(message="is not an amount in pounds."),
            help="Actual cost in pounds (what the budget is charged)", example="44905.10")],
    lambda ctx: [*_fixed_line("prescribing", provider=False, organisation="practice_code",
                              activity=pl.col("items"))(ctx), [pl.col("actual_cost").alias("cost")]],
    lambda ctx: [_line_rule(ctx, "prescribing")],
)  # fmt: skip
COMMUNITY = _register(
    "community",
    "Community services",
    [Column("organisation_code", Code(lookup="node", what="locality or sub-locality"),
            help="Locality or sub-locality code", example="5NE-CAR"),
     Column("service", Text(max_length=20), help="Community service, e.g. district nursing",
            example="District nursing"),
     MONTH,
     Column("cost", Money(), help="Cost in pounds", example="81234.00")],
    _fixed_line("community", provider=False, organisation="organisation_code",
                code=pl.col("service")),
    lambda ctx: [_line_rule(ctx, "community")],
)  # fmt: skip

LAYOUTS = {"hospital": HOSPITAL, "excluded": EXCLUDED, "prescribing": PRESCRIBING,
           "community": COMMUNITY}  # fmt: skip
ACTIVITY_KINDS = [layout.kind for layout in LAYOUTS.values()]
