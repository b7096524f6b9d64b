"""Vectorised validation of the CMS readers' raw String columns, and date helpers.

Private to ``adapters.cms``. A reader states its rules; :func:`raise_first_failure` runs
them all and raises :class:`~fluorocode.errors.EditFileFormatError` for the first row, in
file order, that breaks one:

- a :class:`ValueRule` depends on one value only, so it is evaluated on the column's
  *distinct* values (``_distinct``: a PTP file has ~13,000 distinct codes and a few
  thousand distinct dates in 2.5 million rows); the first row holding a bad value is
  looked up only when there is one. A reader that already holds a column's
  :class:`~fluorocode.adapters.cms._distinct.Distinct` passes it in, so the column is
  not hashed again;
- a :class:`RowRule` relates columns of a row (an effective date after the deletion);
- a :class:`Failure` is a problem a row reader found itself (a line with too few fields).

On one row, reader failures come first, then the rules in the order given. The physical
line of the failing row is computed only then, by the reader's ``line_of``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from fluorocode.adapters.cms._common import CODE_PATTERN, fail
from fluorocode.adapters.cms._distinct import Distinct, distinct

#: Dates outside these years are refused as impossible (NCCI began in 1996).
MIN_YEAR, MAX_YEAR = 1900, 2099


@dataclass(frozen=True, slots=True)
class ValueRule:
    """A rule on single values of one raw column, checked on its unique values.

    ``reason`` is a ``str.format`` template over the raw row (e.g. ``{column1!r}``).
    """

    column: str | int | None
    source: str
    bad: Callable[[pl.Expr], pl.Expr]
    reason: str


@dataclass(frozen=True, slots=True)
class RowRule:
    """A rule across columns of one row (``bad`` is evaluated on the whole frame)."""

    column: str | int | None
    bad: pl.Expr
    reason: str


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure found outside the rules (e.g. a row with too few fields)."""

    row: int
    column: str | int | None
    reason: str


Rule = ValueRule | RowRule


def _first_bad_value_rows(
    df: pl.DataFrame, rules: Sequence[ValueRule], seen: Mapping[str, Distinct]
) -> list[int | None]:
    views = dict(seen)
    out: list[int | None] = []
    for rule in rules:
        view = views.get(rule.source)
        if view is None:
            view = views[rule.source] = distinct(df[rule.source])
        flags = view.values.to_frame("v").select(rule.bad(pl.col("v")).fill_null(True))
        out.append(view.first_row(flags.to_series().to_numpy()))
    return out


def raise_first_failure(
    df: pl.DataFrame,
    rules: Sequence[Rule],
    name: str,
    line_of: Callable[[int], int],
    found: Sequence[Failure] = (),
    seen: Mapping[str, Distinct] | None = None,
) -> None:
    """Raise for the first row (in file order) that breaks a rule; return if none does.

    On one row, ``found`` failures come first, then the rules in the order given.
    ``seen`` holds the :class:`Distinct` views a reader already built, by column.
    """
    value_rules = [r for r in rules if isinstance(r, ValueRule)]
    row_rules = [r for r in rules if isinstance(r, RowRule)]
    value_rows = _first_bad_value_rows(df, value_rules, seen or {})
    row_rows: list[int | None] = []
    if row_rules:
        firsts = df.select(
            r.bad.fill_null(False).arg_true().first().alias(f"r{i}")
            for i, r in enumerate(row_rules)
        )
        row_rows = list(firsts.row(0))
    candidates: list[tuple[int, int, str | int | None, str]] = [
        (f.row, -1, f.column, f.reason) for f in found
    ]
    rank = {id(r): i for i, r in enumerate(rules)}
    pairs: list[tuple[Rule, int | None]] = [
        *zip(value_rules, value_rows, strict=True),
        *zip(row_rules, row_rows, strict=True),
    ]
    for rule, row in pairs:
        if row is not None:
            candidates.append((row, rank[id(rule)], rule.column, rule.reason))
    if not candidates:
        return
    row, _, column, reason = min(candidates, key=lambda c: (c[0], c[1]))
    if row < df.height:
        values: dict[str, Any] = df.row(row, named=True)
        for key, dtype in df.schema.items():
            if dtype == pl.Categorical and values[key] is None:
                values[key] = ""  # a Categorical parsed from text holds "" as null
        reason = reason.format(**values)
    fail(name, reason, line=line_of(row), column=column)


# --------------------------------------------------------------------------- dates


def _ymd_ok(v: pl.Expr) -> pl.Expr:
    y, m, d = v // 10000, (v // 100) % 100, v % 100
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    days = (
        pl.when(m == 2)
        .then(28 + leap.cast(pl.Int64))
        .when(m.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    return (
        (y >= MIN_YEAR)
        & (y <= MAX_YEAR)
        & (m >= 1)
        & (m <= 12)
        & (d >= 1)
        & (d <= days)
    )


def is_yyyymmdd(text: pl.Expr) -> pl.Expr:
    """True where ``text`` is a real calendar date written YYYYMMDD."""
    v = text.cast(pl.Int64, strict=False)
    return (text.str.contains(r"^\d{8}$") & _ymd_ok(v)).fill_null(False)


def is_julian(text: pl.Expr) -> pl.Expr:
    """True where ``text`` is a real date written Julian YYYYDDD (day of the year)."""
    v = text.cast(pl.Int64, strict=False)
    y, ddd = v // 1000, v % 1000
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    ok = (
        (y >= MIN_YEAR)
        & (y <= MAX_YEAR)
        & (ddd >= 1)
        & (ddd <= 365 + leap.cast(pl.Int64))
    )
    return (text.str.contains(r"^\d{7}$") & ok).fill_null(False)


def julian_to_yyyymmdd(text: pl.Expr) -> pl.Expr:
    """Julian YYYYDDD text -> Int32 YYYYMMDD; empty -> null (validate first)."""
    v = pl.when(text != "").then(text).cast(pl.Int32, strict=False)
    day = pl.date(v // 1000, 1, 1) + pl.duration(days=v % 1000 - 1)
    return (
        day.dt.year() * 10000 + day.dt.month().cast(pl.Int32) * 100 + day.dt.day()
    ).cast(pl.Int32)


def code_rule(column: str, label: str, pattern: str = CODE_PATTERN) -> ValueRule:
    """The rule "this column holds a HCPCS/CPT code" (5 characters of 0-9/A-Z)."""
    return ValueRule(
        column,
        column,
        lambda v: ~v.str.contains(pattern),
        f"{label} {{{column}!r}} is not a HCPCS/CPT code (5 characters 0-9/A-Z)",
    )


def extra_rule(width: int) -> RowRule:
    """The rule "nothing stands past the header's ``width`` columns (or under a blank
    header)"; the error names column ``width + 1``, the first one past the header."""
    return RowRule(
        width + 1,
        pl.col("_extra") != "",
        "text {_extra!r} in a column the header does not name",
    )


def check_rows(
    raw: pl.DataFrame,
    rules: Sequence[Rule],
    width: int,
    name: str,
    line_of: Callable[[int], int],
    found: Sequence[Failure] = (),
    seen: Mapping[str, Distinct] | None = None,
) -> None:
    """What every reader checks: rows exist, none breaks a rule, none runs past the header.

    ``seen``: the :class:`Distinct` views the reader already built, by column.

    Raises:
        EditFileFormatError: for the empty table, or the first row (in file order) that
            fails, with its line and column.
    """
    if raw.height == 0:
        fail(name, "no data rows under the header", line=line_of(0))
    raise_first_failure(raw, (*rules, extra_rule(width)), name, line_of, found, seen)
