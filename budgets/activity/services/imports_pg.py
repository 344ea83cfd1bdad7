"""The PostgreSQL path of the activity import: check every row in SQL, set-based.

The file is COPYed as text into a temporary table; each rule of `imports._check` is one SQL
condition producing the same message for the same row and column; if no row fails, one
INSERT ... SELECT loads them all. It applies exactly the rules of the Python path (the reference
twin, used on SQLite), from the same regular expressions, and the import tests run against both.
"""

# SQL here is assembled from fixed fragments, integers and database values quoted by `_lit`; the
# file's text is never placed in SQL (it is COPYed into a table and referenced by column).
# ruff: noqa: S608

from __future__ import annotations

import re

from django.db import transaction
from psycopg2 import errors as pg_errors
from psycopg2.extras import execute_values

from budgets.periods import year_label

from ..layouts import LINE_CODES
from ..models import ImportKind, PointOfDelivery
from ..services.imports import MAX_STORED_ERRORS, Context, FileProblem


class Fallback(Exception):
    """COPY could not read the file as a regular table (ragged rows): use the Python path,
    which reports such rows one by one."""


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_text(column: str | None) -> str:
    return f"coalesce(btrim({column}), '')" if column else "''"


def _copy(cursor, path: str, header: list[str]) -> None:
    columns = ", ".join(f"c{i} text" for i in range(len(header)))
    # Temporary tables drop at commit; inside an outer transaction (a loader, a test) an earlier
    # import's are still there.
    cursor.execute(
        "DROP TABLE IF EXISTS import_raw, import_orgs, import_providers, "
        "import_tariff, import_checked"
    )
    cursor.execute(f"CREATE TEMP TABLE import_raw (n bigserial, {columns}) ON COMMIT DROP")
    try:
        with open(path, "rb") as handle:
            cursor.copy_expert(
                f"COPY import_raw ({', '.join(f'c{i}' for i in range(len(header)))}) FROM STDIN "
                "WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')",
                handle,
            )
    except pg_errors.CharacterNotInRepertoire as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise FileProblem(
            int(line[1]) if line else 1,
            "",
            "The file is not UTF-8 text. In Excel choose 'Save As' > "
            "'CSV UTF-8 (Comma delimited)', then upload it again.",
        ) from exc
    except (pg_errors.BadCopyFileFormat, pg_errors.InvalidTextRepresentation) as exc:
        raise Fallback from exc


def _lookups(cursor, ctx: Context) -> None:
    cursor.execute(
        "CREATE TEMP TABLE import_orgs (code text, kind text, id bigint, "
        "locality_id bigint) ON COMMIT DROP"
    )
    rows = [(code, "practice", pk, ctx.locality_of.get(pk)) for code, pk in ctx.practices.items()]
    rows += [(code, "node", pk, ctx.locality_of.get(pk)) for code, pk in ctx.nodes.items()]
    execute_values(cursor, "INSERT INTO import_orgs VALUES %s", rows or [("", "", 0, 0)])
    cursor.execute("CREATE TEMP TABLE import_providers (code text, id bigint) ON COMMIT DROP")
    execute_values(
        cursor,
        "INSERT INTO import_providers VALUES %s",
        [(code, p.pk) for code, p in ctx.providers.items()] or [("", 0)],
    )
    cursor.execute(
        "CREATE TEMP TABLE import_tariff (code text, pod text, price bigint) ON COMMIT DROP"
    )
    execute_values(
        cursor,
        "INSERT INTO import_tariff VALUES %s",
        [(c, p, price) for (c, p), price in ctx.tariff.items()] or [("", "", 0)],
    )
    # Temporary tables have no statistics until analysed: without them the planner would
    # join a million rows by nested loops.
    cursor.execute("ANALYZE import_raw, import_orgs, import_providers, import_tariff")


TEXT_COLUMNS = ("provider_code", "practice_code", "organisation_code", "month", "pod", "code",
                "activity", "cost", "contract", "independent_sector", "items", "nic",
                "actual_cost", "service")  # fmt: skip


def _checked_sql(ctx: Context, col: dict[str, str | None]) -> str:
    """A SELECT normalising every raw row, with NULL where a value fails its rule.

    Three layers, each fenced with OFFSET 0 so that PostgreSQL evaluates every expression once
    per row: the trimmed text of each cell; its parsed value (number, month, upper case); then
    the joins to practices, providers and the tariff.
    """
    record, kind = ctx.record, ctx.record.kind
    year = int(record.year)
    present = [name for name in TEXT_COLUMNS if col.get(name)]
    trimmed = ", ".join(
        [
            "n",
            *(f"{_sql_text(col[name])} AS {name}" for name in present),
            *(f"''::text AS {name}" for name in TEXT_COLUMNS if name not in present),
        ]
    )
    blank = " AND ".join(f"{_sql_text(col[name])} = ''" for name in col if col[name]) or "false"

    # The shared regular expressions, written with translate() and substr(), which PostgreSQL
    # evaluates far faster than its regex engine (the twin test holds them equal).
    def digits(expr):  # COUNT_RE: one or more digits and nothing else
        return f"({expr} <> '' AND translate({expr}, '0123456789', '') = '')"

    def count(expr):
        clean = f"replace({expr}, ',', '')"
        return f"CASE WHEN {digits(clean)} THEN {clean}::bigint END"

    def money(expr):  # MONEY_RE: digits, optionally a point and one or two digits
        clean = f"replace(replace({expr}, ',', ''), '£', '')"
        decimal = (
            f"(translate({clean}, '0123456789', '') = '.' AND position('.' in {clean}) > 1 "
            f"AND length({clean}) - position('.' in {clean}) BETWEEN 1 AND 2)"
        )
        return f"CASE WHEN {digits(clean)} OR {decimal} THEN ({clean}::numeric * 100)::bigint END"

    m_months = ", ".join(f"'M{m}'" for m in range(1, 13))  # MONTH_M_RE
    calendar = (  # MONTH_CAL_RE: four digits, a hyphen, two digits
        f"(length(a.month) >= 7 AND substr(a.month, 5, 1) = '-' "
        f"AND {digits('substr(a.month, 1, 4) || substr(a.month, 6, 2)')})"
    )
    month = (
        f"CASE WHEN upper(a.month) IN ({m_months}) THEN substr(a.month, 2)::int "
        f"WHEN {calendar} AND substr(a.month, 6, 2)::int BETWEEN 1 AND 12 "
        f"AND substr(a.month, 1, 4)::int * 12 + substr(a.month, 6, 2)::int "
        f"BETWEEN {year * 12 + 4} AND {(year + 1) * 12 + 3} "
        f"THEN (substr(a.month, 6, 2)::int + 8) % 12 + 1 END"
    )
    parsed = ", ".join(
        [
            "a.*",
            f"{month} AS month_n",
            f"{count('a.activity')} AS activity_n",
            f"{count('a.items')} AS items_n",
            f"{money('a.cost')} AS cost_n",
            f"{money('a.nic')} AS nic_n",
            f"{money('a.actual_cost')} AS actual_cost_n",
            "upper(a.pod) AS pod_u",
            "upper(a.code) AS code_u",
            "upper(a.contract) AS contract_u",
            "upper(a.independent_sector) AS independent_u",
            "upper(a.practice_code) AS practice_u",
            "upper(a.provider_code) AS provider_u",
            "upper(a.organisation_code) AS organisation_u",
        ]
    )
    source = (
        f"(SELECT {parsed} FROM (SELECT {trimmed} FROM import_raw WHERE NOT ({blank}) "
        "OFFSET 0) a OFFSET 0) r"
    )

    lines = {key: ctx.lines.get(code) for key, code in LINE_CODES.items()}
    codes = {key: _lit(code) for key, code in LINE_CODES.items()}
    yes = "('Y','YES','TRUE','1')"
    select = ["r.n + 1 AS row_number", "r.month AS month_text", "r.month_n AS month"]
    joins = []
    if kind == ImportKind.COMMUNITY:
        select += [
            "r.organisation_code AS org_text",
            "o.id AS organisation_id",
            "o.locality_id",
            "left(r.service, 20) AS code",
            "'' AS pod",
            "0::bigint AS activity",
            "r.cost AS cost_text",
            "r.cost_n AS cost",
            "NULL::bigint AS provider_id",
            f"{lines[ImportKind.COMMUNITY] or 'NULL'}::bigint AS line_id",
            f"{codes[ImportKind.COMMUNITY]} AS line_code",
        ]
        joins.append("LEFT JOIN import_orgs o ON o.kind = 'node' AND o.code = r.organisation_u")
    else:
        select += ["r.practice_code AS org_text", "o.id AS organisation_id", "o.locality_id"]
        joins.append("LEFT JOIN import_orgs o ON o.kind = 'practice' AND o.code = r.practice_u")
    if kind in (ImportKind.HOSPITAL, ImportKind.EXCLUDED):
        select += ["r.provider_code AS provider_text", "p.id AS provider_id"]
        joins.append("LEFT JOIN import_providers p ON p.code = r.provider_u")
    if kind == ImportKind.HOSPITAL:
        line = (
            f"CASE WHEN r.independent_u IN {yes} THEN {lines['hospital_independent'] or 'NULL'} "
            f"WHEN r.contract_u IN {yes} THEN {lines['hospital_contract'] or 'NULL'} "
            f"ELSE {lines['hospital_non_contract'] or 'NULL'} END"
        )
        line_code = (
            f"CASE WHEN r.independent_u IN {yes} THEN {codes['hospital_independent']} "
            f"WHEN r.contract_u IN {yes} THEN {codes['hospital_contract']} "
            f"ELSE {codes['hospital_non_contract']} END"
        )
        select += [
            "r.pod AS pod_text",
            "r.pod_u AS pod",
            "r.code_u AS code",
            "r.activity AS activity_text",
            "r.activity_n AS activity",
            "r.contract AS contract_text",
            "r.contract_u AS contract",
            "r.independent_sector AS independent_text",
            "r.independent_u AS independent",
            "r.cost AS cost_text",
            "r.cost_n AS given_cost",
            "tf.price AS tariff_price",
            "CASE WHEN r.cost <> '' THEN r.cost_n ELSE tf.price * r.activity_n END AS cost",
            f"{line}::bigint AS line_id",
            f"{line_code} AS line_code",
        ]
        joins.append("LEFT JOIN import_tariff tf ON tf.code = r.code_u AND tf.pod = r.pod_u")
    elif kind == ImportKind.EXCLUDED:
        select += [
            "'' AS pod",
            "'' AS code",
            "0::bigint AS activity",
            "r.cost AS cost_text",
            "r.cost_n AS cost",
            f"{lines[ImportKind.EXCLUDED] or 'NULL'}::bigint AS line_id",
            f"{codes[ImportKind.EXCLUDED]} AS line_code",
        ]
    elif kind == ImportKind.PRESCRIBING:
        select += [
            "NULL::bigint AS provider_id",
            "'' AS pod",
            "'' AS code",
            "r.items AS items_text",
            "r.items_n AS activity",
            "r.nic AS nic_text",
            "r.nic_n AS nic",
            "r.actual_cost AS cost_text",
            "r.actual_cost_n AS cost",
            f"{lines[ImportKind.PRESCRIBING] or 'NULL'}::bigint AS line_id",
            f"{codes[ImportKind.PRESCRIBING]} AS line_code",
        ]
    return f"SELECT {', '.join(select)} FROM {source} {' '.join(joins)}"


def _checks(ctx: Context) -> list[tuple[int, str, str, str]]:
    """Every rule as (order, column, failing condition, message expression), in the Python
    path's order."""
    record, kind = ctx.record, ctx.record.kind
    checks = [
        (
            0,
            "month",
            "month IS NULL",
            f"'''' || month_text || ''' is not a month of {year_label(record.year)} "
            "(use 2010-04 or M1..M12).'",
        )
    ]
    if kind in (ImportKind.HOSPITAL, ImportKind.EXCLUDED):
        checks.append(
            (
                1,
                "provider_code",
                "provider_id IS NULL",
                "'Unknown provider ''' || provider_text || '''.'",
            )
        )
        if record.provider_id:
            code = record.provider.code.replace("'", "''")
            checks.append(
                (
                    1,
                    "provider_code",
                    f"provider_id IS NOT NULL AND provider_id <> {int(record.provider_id)}",
                    f"'This file is for {code}; the row says ' || upper(provider_text) || '.'",
                )
            )
    if kind == ImportKind.COMMUNITY:
        checks.append(
            (
                2,
                "organisation_code",
                "organisation_id IS NULL",
                "'Unknown locality or sub-locality ''' || org_text || '''.'",
            )
        )
        checks.append((3, "service", "code = ''", "'Name the service.'"))
    else:
        checks.append(
            (
                2,
                "practice_code",
                "organisation_id IS NULL",
                "'Unknown practice ''' || org_text || '''.'",
            )
        )
    if kind == ImportKind.HOSPITAL:
        pods = ", ".join(_lit(p) for p in PointOfDelivery.values)
        checks += [
            (
                4,
                "pod",
                f"pod NOT IN ({pods})",
                f"'''' || pod_text || ''' is not a point of delivery "
                f"({', '.join(PointOfDelivery.values)}).'",
            ),
            (
                5,
                "activity",
                "activity IS NULL",
                "'''' || activity_text || ''' is not a whole number, 0 or more.'",
            ),
            (
                6,
                "contract",
                "contract NOT IN ('Y','YES','TRUE','1','N','NO','FALSE','0')",
                "'''' || contract_text || ''' should be Y or N.'",
            ),
            (
                7,
                "independent_sector",
                "independent NOT IN ('Y','YES','TRUE','1','N','NO','FALSE','0')",
                "'''' || independent_text || ''' should be Y or N.'",
            ),
            (
                8,
                "cost",
                "cost_text <> '' AND given_cost IS NULL",
                "'''' || cost_text || ''' is not an amount in pounds (0 or more, at most two "
                "decimal places).'",
            ),
            (
                8,
                "code",
                f"cost_text = '' AND activity IS NOT NULL AND pod IN ({pods}) "
                "AND tariff_price IS NULL",
                f"'No national tariff for ''' || code || ''' at ' || pod || ' in "
                f"{year_label(record.year)}: give a cost, or check the code.'",
            ),
        ]
    elif kind == ImportKind.PRESCRIBING:
        checks += [
            (
                5,
                "items",
                "activity IS NULL",
                "'''' || items_text || ''' is not a whole number, 0 or more.'",
            ),
            (6, "nic", "nic IS NULL", "'''' || nic_text || ''' is not an amount in pounds.'"),
            (
                7,
                "actual_cost",
                "cost IS NULL",
                "'''' || cost_text || ''' is not an amount in pounds.'",
            ),
        ]
    else:
        checks.append(
            (
                8,
                "cost",
                "cost IS NULL",
                "'''' || cost_text || ''' is not an amount in pounds (0 or more, at "
                "most two decimal places).'",
            )
        )
    checks.append(
        (9, "", "line_id IS NULL", "'The commissioner has no budget line ' || line_code || '.'")
    )
    return checks


def _error_sql(checks: list[tuple[int, str, str, str]], wide: str) -> str:
    """The rows failing each rule, as (row, rule, column, message), from the wide rows."""
    return f"WITH w AS MATERIALIZED ({wide}) " + " UNION ALL ".join(
        f"SELECT row_number, {order} AS rule, {_lit(column)} AS col, {message} AS message "
        f"FROM w WHERE {condition}"
        for order, column, condition, message in checks
    )


NARROW = ("row_number", "month", "locality_id", "organisation_id", "line_id", "provider_id",
          "pod", "code", "activity", "cost")  # fmt: skip


def check_and_load(ctx: Context, cursor, path: str, header: list[str]) -> int:
    """COPY and check; record every error in ctx. Returns the number of data rows.

    Leaves `import_checked` (the normalised rows) for `move` when there is no error.
    """
    _copy(cursor, path, header)
    _lookups(cursor, ctx)
    # Room to hash the joins and the duplicate check in memory (this transaction only).
    cursor.execute("SET LOCAL work_mem = '64MB'")
    col = {name: f"c{i}" for i, name in enumerate(header)}
    wide = _checked_sql(ctx, col)
    checks = _checks(ctx)
    # Keep only the values to load, and whether any rule fails: a narrow table is quick to
    # write. The wide rows (with the text for messages) are rebuilt only for a failed file.
    bad = " OR ".join(f"({condition})" for _, _, condition, _ in checks)
    cursor.execute(
        f"CREATE TEMP TABLE import_checked ON COMMIT DROP AS SELECT {', '.join(NARROW)}, "
        f"coalesce({bad}, false) AS bad FROM ({wide}) w"
    )
    rows = cursor.rowcount
    cursor.execute("SELECT EXISTS (SELECT 1 FROM import_checked WHERE bad)")
    total = 0
    if cursor.fetchone()[0]:
        errors = _error_sql(checks, wide)
        cursor.execute(f"SELECT count(*) FROM ({errors}) e")
        total = cursor.fetchone()[0]
    if total:
        cursor.execute(
            f"SELECT row_number, col, message FROM ({errors}) e "
            f"ORDER BY row_number, rule LIMIT {MAX_STORED_ERRORS}"
        )
        for row_number, column, message in cursor.fetchall():
            ctx.error(row_number, column, message)
        ctx.error_count = total
        return rows
    # Duplicates: a unique index is one sort; only if it fails, find which rows repeat.
    try:
        with transaction.atomic():
            cursor.execute(
                "CREATE UNIQUE INDEX import_checked_once ON import_checked (month, "
                "organisation_id, line_id, coalesce(provider_id, 0), pod, code, activity, cost)"
            )
        return rows
    except pg_errors.UniqueViolation:
        pass  # rolled back to the savepoint; now name the rows
    cursor.execute(
        "SELECT c.row_number, d.first_row FROM import_checked c JOIN ("
        " SELECT month, organisation_id, line_id, provider_id, pod, code, activity, cost,"
        " min(row_number) AS first_row FROM import_checked"
        " GROUP BY month, organisation_id, line_id, provider_id, pod, code, activity, cost"
        " HAVING count(*) > 1) d USING (month, organisation_id, line_id, pod, code, activity, cost)"
        " WHERE c.provider_id IS NOT DISTINCT FROM d.provider_id AND c.row_number > d.first_row"
        f" ORDER BY c.row_number LIMIT {MAX_STORED_ERRORS}"
    )
    for row_number, first_row in cursor.fetchall():
        ctx.error(row_number, "", f"Duplicate of row {first_row}: the same activity twice.")
    return rows


def move(ctx: Context, cursor) -> tuple[int, int]:
    """One INSERT ... SELECT of the checked rows into the activity table: (moved, held)."""
    held_months = sorted(ctx.closed_months) or [0]
    months = ", ".join(str(int(m)) for m in held_months)
    cursor.execute(
        "INSERT INTO budgets_activityrow (activity_import_id, year, month, locality_id,"
        " organisation_id, line_id, provider_id, pod, code, activity, cost, held)"
        f" SELECT {int(ctx.record.pk)}, {int(ctx.record.year)}, month, locality_id,"
        " organisation_id, line_id, provider_id, pod, code, activity, cost,"
        f" month IN ({months}) FROM import_checked"
    )
    moved = cursor.rowcount
    # Fresh statistics for the year's partitions, so that the reconciliation that follows
    # plans hash joins, not nested loops over millions of rows.
    cursor.execute(f"ANALYZE budgets_activityrow_y{int(ctx.record.year)}")
    cursor.execute(f"SELECT count(*) FROM import_checked WHERE month IN ({months})")
    return moved, cursor.fetchone()[0]
