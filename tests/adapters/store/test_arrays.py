"""``adapters.store.arrays`` reads ``numpy.save`` files as numpy does, without numpy.

The check path maps an edition's arrays through ``read_column`` (issue 11: no numpy
import on ``fluorocode check``); bulk readers get numpy arrays over the same maps.
"""

from __future__ import annotations

import json
import subprocess
import sys
from bisect import bisect_left, bisect_right
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fluorocode.adapters.store.arrays import as_numpy, read_column
from fluorocode.adapters.store.compile import compile_edition
from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo, Table
from fluorocode.errors import EditionError

#: every dtype the importer writes (``compile._PLAIN_COLUMNS``, keys, label indices)
#: and a few it might
DTYPES = ["<i8", "<i4", "u1", "?", "<u2", "i1", "<u4", "<u8", "<i2"]


def _saved(tmp_path: Path, values: np.ndarray) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "a.npy"
    np.save(path, values)
    return path


@pytest.mark.parametrize("dtype", DTYPES)
def test_values_are_numpys(tmp_path: Path, dtype: str) -> None:
    if dtype == "?":
        values = np.array([False, True, True, False])
    else:
        info = np.iinfo(dtype)
        values = np.array([info.min, 0, 1, 7, info.max], dtype=dtype)
    column = read_column(_saved(tmp_path, values))
    assert column.tolist() == values.tolist()
    assert [type(v) for v in column.tolist()] == [type(v) for v in values.tolist()]
    assert column.readonly
    back = as_numpy(column)
    assert back.dtype == values.dtype and not back.flags.writeable
    assert np.array_equal(back, values)


def test_a_sorted_key_column_is_binary_searched(tmp_path: Path) -> None:
    keys = np.sort(np.random.default_rng(11).integers(0, 36**10, 5000))
    column = read_column(_saved(tmp_path, keys))
    for probe in [int(keys[0]), int(keys[2500]), int(keys[-1]), 0, 36**10]:
        assert bisect_left(column, probe) == keys.searchsorted(probe)
        assert bisect_right(column, probe) == keys.searchsorted(probe, side="right")


def test_an_empty_table_reads_as_empty(tmp_path: Path) -> None:
    column = read_column(_saved(tmp_path, np.zeros(0, dtype=np.int64)))
    assert len(column) == 0 and bisect_left(column, 5) == 0


@pytest.mark.parametrize("dtype", [">i8", ">i4", ">u2"])
def test_the_other_byte_order_is_swapped(tmp_path: Path, dtype: str) -> None:
    values = np.array([1, 300, 70000 if dtype != ">u2" else 65535], dtype=dtype)
    column = read_column(_saved(tmp_path, values))
    assert column.tolist() == values.tolist() and column.readonly


def test_numpy_format_2_headers_are_read(tmp_path: Path) -> None:
    path = tmp_path / "v2.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array(f, np.arange(5, dtype=np.int64), version=(2, 0))
    assert read_column(path).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (np.zeros((2, 3), dtype=np.int64), "one-dimensional integer"),
        (np.array([1.5, 2.5]), "one-dimensional integer"),
        (np.array(["a", "b"]), "one-dimensional integer"),
        (b"not an array at all", "not an .npy array file"),
        (b"", "empty"),
    ],
)
def test_anything_else_is_refused_naming_the_file(
    tmp_path: Path, content: object, says: str
) -> None:
    path = tmp_path / "odd.npy"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.save(path, content)
    with pytest.raises(EditionError, match=says) as caught:
        read_column(path)
    assert str(path) in str(caught.value)


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path, np.arange(1000, dtype=np.int64))
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(EditionError, match="shorter than the 1,000 values"):
        read_column(path)


def test_a_column_outlives_its_file(tmp_path: Path) -> None:
    """An import that replaces the edition unlinks the files; a reader keeps its map."""
    path = _saved(tmp_path, np.arange(10, dtype=np.int64))
    column = read_column(path)
    path.unlink()
    assert column[9] == 9


PROBE = """
import json, sys
from pathlib import Path
from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.domain.edits import Table
e = CompiledEdition(Path(sys.argv[1]))
rows = e.ptp_among(Table.PTP_PRACTITIONER, ["29880", "76000", "99213"])
print(json.dumps({
    "rows": [r.evidence() for r in rows],
    "mue": e.mue(Table.MUE_PRACTITIONER, "76000").evidence(),
    "known": [e.code_known(c) for c in ("29880", "99213", "ZZZZZ")],
    "numpy": "numpy" in sys.modules,
}))
"""


def test_an_edition_answers_without_importing_numpy(tmp_path: Path) -> None:
    out = tmp_path / "edition"
    ptp = pl.DataFrame(
        {
            "column1": ["29880", "29880", "99213"],
            "column2": ["76000", "99213", "76000"],
            "pre_1996": [False, False, True],
            "effective": [20020101, 19960101, 19960101],
            "deletion": [None, 20200101, None],
            "indicator": [1, 0, 9],
            "rationale": ["Misuse of column two code with column one code"] * 3,
        },
        schema_overrides={"effective": pl.Int32, "deletion": pl.Int32},
    )
    mue = pl.DataFrame(
        {"code": ["76000"], "value": [3], "mai": [3], "rationale": ["Clinical: Data"]},
        schema_overrides={"value": pl.Int32, "mai": pl.UInt8},
    )
    info = EditionInfo(
        Program.MEDICARE,
        "2024Q3",
        "v302r0",
        False,
        {"ptp_practitioner": 3, "mue_practitioner": 1},
        (),
    )
    compile_edition(
        {Table.PTP_PRACTITIONER: ptp, Table.MUE_PRACTITIONER: mue}, info, out
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    seen = json.loads(done.stdout)
    assert seen["numpy"] is False
    here = CompiledEdition(out)  # the same edition read in this process
    codes = ["29880", "76000", "99213"]
    assert seen["rows"] == [
        r.evidence() for r in here.ptp_among(Table.PTP_PRACTITIONER, codes)
    ]
    assert len(seen["rows"]) == 3
    assert seen["mue"]["mue_value"] == 3
    assert seen["known"] == [True, True, False]
    # and whole-table readers still get numpy arrays over the same files
    columns = here.columns(Table.PTP_PRACTITIONER)
    assert columns["effective"].dtype == np.int32
    assert columns["pre_1996"].dtype == np.bool_
    assert sorted(columns["pre_1996"].tolist()) == [False, False, True]
    assert np.all(np.diff(columns["key"]) > 0)  # sorted keys, one row per pair
