"""A column seen through its distinct values: one hash per row, done once (issue 11).

Private to ``adapters`` (the CMS readers validate with it, ``adapters.store.compile``
builds keys and label indices with it). A PTP file holds 2.5 million rows but about
13,000 distinct codes, a few thousand distinct dates and a dozen rationales, so every
check and every conversion runs on the distinct values and reaches the rows through
one integer gather (``numpy.take``), never through a second hash of the strings.

The hashing itself is polars' Categorical: the PTP reader parses its columns straight
into Categorical (``_text.read_tab_rows``), so the parse is the only pass that hashes;
a String column is cast to Categorical here. A Categorical parsed from a CSV holds an
empty cell as null: both read as ``""`` here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import polars as pl

__all__ = ["Array", "Distinct", "distinct", "distinct_columns"]

Array = np.ndarray[Any, Any]


@dataclass(frozen=True, slots=True)
class Distinct:
    """A column's distinct values, and which of them each row holds.

    Attributes:
        values: the distinct values (String, ``""`` for an empty cell), in no set order.
        ids: per row, the id of its value (uint32: polars' Categorical ids, which
            need not be dense).
        slots: the id of each value, in the order of ``values``.
        space: one more than the largest id.
    """

    values: pl.Series
    ids: Array
    slots: Array
    space: int

    def spread(self, per_value: Array) -> Array:
        """One item per value (in the order of ``values``) -> one per row."""
        table = np.zeros(self.space, dtype=per_value.dtype)
        table[self.slots] = per_value
        return np.take(table, self.ids)

    def each(self, convert: Callable[[pl.Expr], pl.Expr]) -> Array:
        """``convert`` evaluated on the distinct values, then spread to every row.

        The result must hold no null (fill it inside ``convert``).
        """
        mapped = self.values.to_frame("v").select(convert(pl.col("v"))).to_series()
        return self.spread(mapped.to_numpy())

    def first_row(self, bad: Array) -> int | None:
        """The first row whose value is flagged in ``bad`` (one bool per value)."""
        if not bad.any():
            return None
        return int(np.flatnonzero(self.spread(bad))[0])


def distinct(series: pl.Series) -> Distinct:
    """The :class:`Distinct` view of a String or Categorical column."""
    return distinct_columns(series.to_frame())[series.name]


def distinct_columns(
    frame: pl.DataFrame, columns: Sequence[str] | None = None
) -> dict[str, Distinct]:
    """The :class:`Distinct` views of a frame's String or Categorical columns (all of
    them by default), found in one polars pass over the columns, in parallel."""
    names = list(frame.columns if columns is None else columns)
    cats = frame.select(
        pl.col(n).cast(pl.String).fill_null("").cast(pl.Categorical)
        if frame.schema[n] != pl.Categorical
        else pl.col(n)
        for n in names
    )
    # a row of each value per column: hashes the ids, not the text
    firsts = cats.select(pl.col(n).arg_unique().implode() for n in names)
    views = {}
    for n in names:
        series, rows = cats[n], firsts[n][0]
        physical = series.to_physical()
        top = physical.max()
        # the id given to empty (null) cells: one past the largest
        empty = 0 if top is None else int(cast(int, top)) + 1
        if physical.null_count():
            physical = physical.fill_null(empty)
        values = series.gather(rows).cast(pl.String).fill_null("")
        slots = physical.gather(rows).to_numpy()
        views[n] = Distinct(values.rename(n), physical.to_numpy(), slots, empty + 1)
    return views
