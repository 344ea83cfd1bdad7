"""How a kind of file is declared: its columns and their types, rules across columns, the values
derived from a row, and the loader that stores the checked rows.

Each column type parses trimmed text into a value with a vectorised polars expression (null when
the text breaks the type's rule) and says what is wrong in words a finance officer can act on.
Column names in a file are matched case-insensitively, in any order, with the published names
given as aliases; extra columns are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from .models import Upload

SHOWN_CHARS = 40  # a value quoted in a message is cut to this length


def shown(text: pl.Expr) -> pl.Expr:
    """The text quoted in a message, cut short: a 50 MB cell must not become a 50 MB message."""
    return (
        pl.when(text.str.len_chars() > SHOWN_CHARS)
        .then(text.str.slice(0, SHOWN_CHARS) + "…")
        .otherwise(text)
    )


def quoted(text: pl.Expr, rest: str) -> pl.Expr:
    """ "'<value>' <rest>" as an expression."""
    return pl.format("'{}' " + rest.replace("{", "{{").replace("}", "}}"), shown(text))


@dataclass
class CheckContext:
    """What the checks of one upload need: its period and the lookups of codes to ids."""

    upload: Upload | None
    year: int | None = None
    month: int | None = None
    lookups: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class ColumnType:
    """A column's rule. `value` maps trimmed, non-blank text to a value or null (broken rule);
    `problem` says what is wrong with a text whose value is null."""

    dtype: Any = pl.String
    hint: str = ""  # shown beside the column in the template's help

    def value(self, text: pl.Expr, ctx: CheckContext) -> pl.Expr:
        return text

    def problem(self, text: pl.Expr, ctx: CheckContext) -> pl.Expr:
        return quoted(text, "is not valid here.")


@dataclass(frozen=True)
class Text(ColumnType):
    max_length: int = 200
    upper: bool = False

    def value(self, text, ctx):
        value = text.str.to_uppercase() if self.upper else text
        return pl.when(text.str.len_chars() <= self.max_length).then(value)

    def problem(self, text, ctx):
        return quoted(text, f"is longer than {self.max_length} characters.")


@dataclass(frozen=True)
class Code(ColumnType):
    """A code looked up (case-insensitively) in one of the upload's lookups, giving an id."""

    lookup: str = ""
    what: str = "code"
    dtype: Any = pl.Int64

    def value(self, text, ctx):
        mapping = ctx.lookups.get(self.lookup) or {}
        return text.str.to_uppercase().replace_strict(
            dict(mapping), default=None, return_dtype=self.dtype
        )

    def problem(self, text, ctx):
        return pl.format("Unknown {} '{}'.", pl.lit(self.what), shown(text))


def _without(text: pl.Expr, *characters: str) -> pl.Expr:
    """`text` without `characters` (thousands separators, "£"), copied only where it has one."""
    removed = text
    for character in characters:
        removed = removed.str.replace_all(character, "", literal=True)
    return pl.when(text.str.contains_any(list(characters))).then(removed).otherwise(text)


@dataclass(frozen=True)
class Count(ColumnType):
    """A whole number, 0 or more; thousands separators allowed."""

    dtype: Any = pl.Int64
    hint: str = "whole number, 0 or more"

    def value(self, text, ctx):
        clean = _without(text, ",")
        return pl.when(clean.str.contains(r"^[0-9]{1,15}$")).then(clean.cast(pl.Int64))

    def problem(self, text, ctx):
        return quoted(text, "is not a whole number, 0 or more.")


@dataclass(frozen=True)
class Money(ColumnType):
    """Pounds, 0 or more, at most two decimal places ("£" and thousands separators allowed),
    as integer pence."""

    dtype: Any = pl.Int64
    hint: str = "pounds, e.g. 1520.00"
    message: str = "is not an amount in pounds (0 or more, at most two decimal places)."

    def value(self, text, ctx):
        # One anchored match, then polars' exact decimal parse (a fifth of the time of
        # extracting pounds and pence by regular expressions).
        clean = _without(text, ",", "£")
        return pl.when(clean.str.contains(r"^[0-9]{1,13}(\.[0-9]{1,2})?$")).then(
            (clean.cast(pl.Decimal(15, 2), strict=False) * 100).cast(pl.Int64)
        )

    def problem(self, text, ctx):
        return quoted(text, self.message)


@dataclass(frozen=True)
class Quantity(ColumnType):
    """A number, 0 or more, with a decimal part (a weighted population), kept exactly to
    `scale` places (a longer decimal part is rounded at the last place)."""

    scale: int = 6
    dtype: Any = pl.Decimal(24, 6)
    hint: str = "a number, 0 or more, e.g. 11341.873160"

    def value(self, text, ctx):
        clean = text.str.replace_all(",", "", literal=True)
        return pl.when(clean.str.contains(r"^[0-9]{1,15}(\.[0-9]+)?$")).then(
            clean.str.to_decimal(scale=self.scale)
        )

    def problem(self, text, ctx):
        return quoted(text, "is not a number, 0 or more.")


def year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


@dataclass(frozen=True)
class Month(ColumnType):
    """A month of the upload's financial year, as "2010-04" (calendar) or "M1".."M12"
    (financial: M1 is April), giving 1..12."""

    dtype: Any = pl.Int16
    hint: str = "2010-04 or M1..M12"

    def value(self, text, ctx):
        # The year has 24 spellings: look them up (a text starting "2010-04" is April 2010).
        year = int(ctx.year)
        upper = text.str.to_uppercase()
        financial = {f"M{m}": m for m in range(1, 13)}
        calendar = {f"{year + (m > 9):04d}-{(m + 2) % 12 + 1:02d}": m for m in range(1, 13)}
        return pl.coalesce(
            upper.replace_strict(financial, default=None, return_dtype=pl.Int16),
            upper.str.slice(0, 7).replace_strict(calendar, default=None, return_dtype=pl.Int16),
        )

    def problem(self, text, ctx):
        return quoted(
            text, f"is not a month of {year_label(int(ctx.year))} (use 2010-04 or M1..M12)."
        )


@dataclass(frozen=True)
class Choice(ColumnType):
    """One of a fixed set of words (case-insensitive), each mapped to the stored value."""

    choices: Mapping[str, str] = field(default_factory=dict)
    message: str = ""

    def value(self, text, ctx):
        mapping = {key.lower(): value for key, value in self.choices.items()}
        return text.str.to_lowercase().replace_strict(mapping, default=None, return_dtype=pl.String)

    def problem(self, text, ctx):
        words = ", ".join(dict.fromkeys(self.choices.values()))
        return quoted(text, self.message or f"is not one of: {words}.")


YES = ("Y", "YES", "TRUE", "1")
NO = ("N", "NO", "FALSE", "0")


@dataclass(frozen=True)
class YesNo(ColumnType):
    dtype: Any = pl.Boolean
    hint: str = "Y or N"

    def value(self, text, ctx):
        upper = text.str.to_uppercase()
        return pl.when(upper.is_in(YES)).then(True).when(upper.is_in(NO)).then(False)

    def problem(self, text, ctx):
        return quoted(text, "should be Y or N.")


@dataclass(frozen=True)
class Date(ColumnType):
    dtype: Any = pl.Date
    hint: str = "YYYY-MM-DD"

    def value(self, text, ctx):
        return text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)

    def problem(self, text, ctx):
        return quoted(text, "is not a date (YYYY-MM-DD).")


@dataclass(frozen=True)
class DateTime(ColumnType):
    """A local date and time: "YYYY-MM-DD HH:MM" (or ISO 8601 with a T; seconds are ignored);
    a date alone is midnight."""

    dtype: Any = pl.Datetime("us")
    hint: str = "YYYY-MM-DD HH:MM"

    def value(self, text, ctx):
        clean = text.str.replace("T", " ", literal=True).str.slice(0, 16)
        clean = pl.when(clean.str.len_chars() == 10).then(clean + " 00:00").otherwise(clean)
        return clean.str.to_datetime("%Y-%m-%d %H:%M", strict=False)

    def problem(self, text, ctx):
        return quoted(text, "is not a date and time (YYYY-MM-DD HH:MM).")


@dataclass(frozen=True)
class Pattern(ColumnType):
    """Text matching a regular expression (e.g. a three-digit treatment function code)."""

    pattern: str = ".*"
    message: str = "is not in the expected form."
    upper: bool = False

    def value(self, text, ctx):
        value = text.str.to_uppercase() if self.upper else text
        return pl.when(value.str.contains(self.pattern)).then(value)

    def problem(self, text, ctx):
        return quoted(text, self.message)


@dataclass(frozen=True)
class Parsed(ColumnType):
    """A value parsed by a Python function, for rules no expression states (an NHS number's
    check digit and its keyed hash). `parse` raises ValueError with the message, which must not
    repeat the value when it identifies a person."""

    parse: Callable[[str], Any] = str
    dtype: Any = pl.String

    def _struct(self, text):
        def parse(value):
            try:
                return {"value": self.parse(value), "problem": None}
            except ValueError as exc:
                return {"value": None, "problem": str(exc)}

        return text.map_elements(
            parse,
            return_dtype=pl.Struct({"value": self.dtype, "problem": pl.String}),
            skip_nulls=True,
        )

    def value(self, text, ctx):
        return self._struct(text).struct.field("value")

    def problem(self, text, ctx):
        return self._struct(text).struct.field("problem")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = True  # the column must be in the file and each of its cells filled
    help: str = ""
    example: str = ""
    aliases: tuple[str, ...] = ()  # other header names accepted (published layouts)


@dataclass(frozen=True)
class Rule:
    """A rule across columns, checked on the parsed and derived values: `fails` is true on the
    rows that break it (null counts as not failing), `message` says why."""

    column: str
    fails: pl.Expr
    message: pl.Expr


@dataclass
class LoadResult:
    loaded: int = 0
    held: int = 0
    updated: int = 0
    skipped: int = 0  # rows the layout's rule says to leave out (said in the upload's message)
    # Rows that clash with what is already stored, found while loading: (row, column, message).
    # Any of them rolls the whole load back, like an error found by the checks.
    errors: list[tuple[int, str, str]] = field(default_factory=list)


Loader = Callable[["Upload", Iterator[pl.DataFrame], CheckContext], LoadResult]


@dataclass(frozen=True)
class Layout:
    """A kind of file. `kind` is stored on the upload; the rest is code, versioned with it."""

    kind: str
    label: str
    columns: tuple[Column, ...]
    output: tuple[str, ...]  # the values handed to the loader, beside row_number
    loader: Loader
    context: Callable[[Upload], CheckContext]
    # stages of derived values, each a list of expressions that may use the earlier stages
    derive: Callable[[CheckContext], Iterable[list[pl.Expr]]] = lambda ctx: ()
    rules: Callable[[CheckContext], Iterable[Rule]] = lambda ctx: ()
    unique_by: tuple[str, ...] = ()  # a row repeating these values is a duplicate
    duplicate_what: str = "the same row twice"  # says what a duplicate repeats
    money_column: str | None = None  # summed into the upload's control total
    period: str | None = None  # "month": uploads name a year and a month; "year"; None
    as_of: bool = False  # the upload states the date its figures are for (reference data)
    source: str | None = None  # what `Upload.source` names ("provider"), if it is required
    patient_identifiers: bool = False  # the file holds NHS numbers: it is not kept
    # The loader finds errors too (rows that clash with what is stored): it then sees every good
    # row even when others failed their checks, so that every problem is listed at once.
    loader_checks: bool = False
    permission: str = "change_money"  # the consortia.permissions action needed to upload
    # Who may see an upload of this kind, its errors and its file: by default those who see the
    # commissioner's money; a layout may widen it (outcomes are for everyone in the tree).
    may_view: Callable[[Any, Upload], bool] | None = None
    description: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_LAYOUTS: dict[str, Layout] = {}


def layout_register(layout: Layout) -> Layout:
    """Declare a kind of file (apps call this when they load)."""
    _LAYOUTS[layout.kind] = layout
    return layout


def layout_for(kind: str) -> Layout:
    try:
        return _LAYOUTS[kind]
    except KeyError:
        raise LookupError(f"No import layout '{kind}'.") from None


def layouts() -> dict[str, Layout]:
    return dict(_LAYOUTS)


def template_rows(layout: Layout) -> tuple[list[str], list[str], list[str]]:
    """The header, one example row and the help line of a layout's template."""
    header = [c.name for c in layout.columns]
    example = [c.example for c in layout.columns]
    help_row = [
        ("required: " if c.required else "optional: ") + (c.help or c.type.hint)
        for c in layout.columns
    ]
    return header, example, help_row


def template_csv(layout: Layout) -> bytes:
    """The template as CSV: the header alone, so that no example can be imported as data (the
    page and the XLSX template give an example of each column)."""
    import csv
    import io

    header, _, _ = template_rows(layout)
    out = io.StringIO()
    csv.writer(out).writerow(header)
    return out.getvalue().encode()


def template_xlsx(layout: Layout) -> bytes:
    """The template as a workbook: a "data" sheet with the header alone, and a "columns" sheet
    saying what each column holds, with an example."""
    import io

    from openpyxl import Workbook

    header, example, help_row = template_rows(layout)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "data"
    sheet.append(header)
    notes = workbook.create_sheet("columns")
    notes.append(["column", "what it holds", "example", "also accepted as"])
    for column, text, sample in zip(layout.columns, help_row, example, strict=True):
        notes.append([column.name, text, sample, ", ".join(column.aliases)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
