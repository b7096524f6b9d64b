"""Issue 11: a column seen through its distinct values (``adapters.cms._distinct``)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fluorocode.adapters.cms._distinct import distinct
from fluorocode.adapters.cms.ptp_file import parse_ptp_txt, read_ptp_txt

NAME = "ccipra-v322r0-f1.TXT"


@pytest.mark.parametrize("dtype", [pl.String, pl.Categorical])
def test_values_and_rows(dtype: pl.DataType) -> None:
    series = pl.Series("c", ["b", "a", "", "b", "c", ""], dtype=dtype)
    view = distinct(series)
    assert view.values.name == "c"
    assert sorted(view.values.to_list()) == ["", "a", "b", "c"]
    # every row reaches its own value again through its id
    rows = view.each(lambda v: v)
    assert rows.tolist() == ["b", "a", "", "b", "c", ""]
    bad = (view.values == "c").to_numpy()
    assert view.first_row(bad) == 4
    assert view.first_row(np.zeros(len(view.values), dtype=bool)) is None


def test_empty_cells_parsed_as_null_read_as_empty_text() -> None:
    text = b"a\t\nb\tx\n\ty\n"
    frame = pl.read_csv(
        text,
        separator="\t",
        has_header=False,
        schema={"one": pl.Categorical, "two": pl.Categorical},
    )
    assert frame["one"].null_count() == 1  # what polars does with an empty Categorical
    view = distinct(frame["one"])
    assert view.each(lambda v: v).tolist() == ["a", "b", ""]
    assert view.each(lambda v: v.str.len_bytes()).tolist() == [1, 1, 0]


def test_empty_column() -> None:
    view = distinct(pl.Series("c", [], dtype=pl.Categorical))
    assert view.values.to_list() == []
    assert view.each(lambda v: v.str.len_bytes()).tolist() == []


def test_the_importers_parse_is_the_public_read(ptp_excerpt: bytes) -> None:
    """The importer's Categorical parse holds the same rows as :func:`read_ptp_txt`,
    and its views are those of its Categorical columns."""
    frame, views = parse_ptp_txt(ptp_excerpt, NAME)
    assert set(views) == {"column1", "column2", "rationale"}
    assert frame["column1"].dtype == pl.Categorical
    strings = frame.with_columns(pl.col(pl.Categorical).cast(pl.String))
    assert strings.equals(read_ptp_txt(ptp_excerpt, NAME))
    for column, view in views.items():
        assert view.each(lambda v: v).tolist() == strings[column].to_list()
