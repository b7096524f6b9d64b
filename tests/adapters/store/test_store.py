"""The compiled store answers exactly as the in-memory edition does, from the same rows."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluorocode.adapters.store.compile import compile_edition
from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.adapters.store.layout import OPEN_DELETION, STORE_FORMAT, parquet_file
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.domain.codes import ModifierIndicator, Program
from fluorocode.domain.edits import EditionInfo, PtpEdit, SourceFile, Table
from fluorocode.errors import (
    EditionExistsError,
    EditionNotFoundError,
    StoreVersionError,
)

INFO = EditionInfo(
    Program.MEDICARE,
    "2024Q3",
    "v302r0",
    False,
    {},
    (SourceFile("ccipra-v302r0-f1.TXT", "0" * 64, 0, "ptp_practitioner"),),
)


def ptp_frame(rows: list[tuple[str, str, int, int, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "column1": [r[0] for r in rows],
            "column2": [r[1] for r in rows],
            "pre_1996": [False] * len(rows),
            "effective": [r[2] for r in rows],
            "deletion": [r[3] for r in rows],
            "indicator": [r[4] for r in rows],
            "rationale": [r[5] for r in rows],
        },
        schema={
            "column1": pl.String,
            "column2": pl.String,
            "pre_1996": pl.Boolean,
            "effective": pl.Int32,
            "deletion": pl.Int32,
            "indicator": pl.UInt8,
            "rationale": pl.String,
        },
    )


ROWS = [
    (
        "29880",
        "76000",
        19960101,
        OPEN_DELETION,
        1,
        "Standards of medical/surgical practice",
    ),
    (
        "33289",
        "76000",
        20190101,
        OPEN_DELETION,
        0,
        "CPT Manual or CMS manual coding instruction",
    ),
    (
        "29880",
        "29877",
        20020101,
        20020101,
        9,
        "Misuse of Column Two code with Column One code",
    ),
    (
        "29880",
        "29877",
        20020101,
        OPEN_DELETION,
        0,
        "Misuse of Column Two code with Column One code",
    ),
    (
        "20610",
        "76001",
        19960101,
        20181231,
        1,
        "CPT Manual or CMS manual coding instruction",
    ),
    ("0001A", "90473", 20220101, 20220101, 9, "Mutually exclusive procedures"),
    (
        "G0289",
        "29880",
        20030101,
        OPEN_DELETION,
        1,
        "HCPCS/CPT procedure code definition",
    ),
]


@pytest.fixture()
def edition(tmp_path: Path) -> CompiledEdition:
    frames = {
        Table.PTP_PRACTITIONER: ptp_frame(ROWS),
        Table.MUE_PRACTITIONER: pl.DataFrame(
            {
                "code": ["76000", "77002"],
                "value": [3, 1],
                "mai": [3, 3],
                "rationale": ["Clinical: Data", "CMS Policy"],
            },
            schema={
                "code": pl.String,
                "value": pl.Int32,
                "mai": pl.UInt8,
                "rationale": pl.String,
            },
        ),
        Table.AOC: pl.DataFrame(
            {
                "addon": ["77002", "77002", "77001"],
                "primary": ["20610", "20600", "CCCCC"],
                "edit_type": [1, 1, 2],
                "effective": [None, None, None],
                "deletion": [None, 20240101, None],
            },
            schema={
                "addon": pl.String,
                "primary": pl.String,
                "edit_type": pl.UInt8,
                "effective": pl.Int32,
                "deletion": pl.Int32,
            },
        ),
        Table.PFS: pl.DataFrame(
            {
                "code": ["76000", "76000", "76000", "29880"],
                "modifier": ["", "26", "TC", ""],
                "status": ["A", "A", "A", "A"],
                "pctc": ["1", "1", "1", "0"],
                "global_days": ["XXX", "XXX", "XXX", "090"],
            }
        ),
    }
    info = EditionInfo(
        INFO.program,
        INFO.quarter,
        INFO.version,
        False,
        {t.value: len(f) for t, f in frames.items()},
        INFO.sources,
    )
    compile_edition(frames, info, tmp_path / "ed")
    return CompiledEdition(tmp_path / "ed")


def test_pair_rows_keep_history_and_both_orders(edition: CompiledEdition) -> None:
    rows = edition.ptp_among(
        Table.PTP_PRACTITIONER, ["29877", "29880", "G0289", "76000"]
    )
    got = sorted((r.column1, r.column2, int(r.indicator)) for r in rows)
    assert got == [
        ("29880", "29877", 0),
        ("29880", "29877", 9),
        ("29880", "76000", 1),
        ("G0289", "29880", 1),
    ]
    history = edition.ptp_pair(Table.PTP_PRACTITIONER, "29880", "29877")
    assert [r.indicator for r in history] == [
        ModifierIndicator.NOT_APPLICABLE,
        ModifierIndicator.NOT_ALLOWED,
    ]
    assert edition.ptp_pair(Table.PTP_PRACTITIONER, "76000", "29880") == []


def test_row_fields_round_trip(edition: CompiledEdition) -> None:
    (row,) = edition.ptp_pair(Table.PTP_PRACTITIONER, "20610", "76001")
    assert row == PtpEdit(
        "20610",
        "76001",
        date(1996, 1, 1),
        date(2018, 12, 31),
        ModifierIndicator.ALLOWED,
        "CPT Manual or CMS manual coding instruction",
    )
    assert row.in_force(date(2018, 12, 31)) and not row.in_force(date(2019, 1, 1))


def test_indicator_9_never_in_force(edition: CompiledEdition) -> None:
    (row,) = edition.ptp_pair(Table.PTP_PRACTITIONER, "0001A", "90473")
    assert not row.in_force(date(2022, 1, 1))


def test_single_code_tables(edition: CompiledEdition) -> None:
    mue = edition.mue(Table.MUE_PRACTITIONER, "76000")
    assert mue is not None and (mue.value, int(mue.mai), mue.rationale) == (
        3,
        3,
        "Clinical: Data",
    )
    assert edition.mue(Table.MUE_PRACTITIONER, "99999") is None
    assert edition.mue(Table.MUE_OUTPATIENT_HOSPITAL, "76000") is None
    pfs = edition.pfs("76000")
    assert pfs is not None and (pfs.pctc, pfs.global_days) == ("1", "XXX")
    addons = edition.aoc_for_addon("77002")
    assert sorted(a.primary for a in addons) == ["20600", "20610"]
    assert [a for a in addons if a.primary == "20600"][0].deletion == date(2024, 1, 1)
    assert edition.aoc_for_addon("77001")[0].primary == "CCCCC"
    assert edition.aoc_for_addon("76000") == []


def test_parquet_copies_are_readable(edition: CompiledEdition) -> None:
    frame = pl.read_parquet(edition.path / "ptp_practitioner.parquet")
    assert len(frame) == len(ROWS)


def test_every_table_has_its_parquet_copy(edition: CompiledEdition) -> None:
    """Issue 11: the copies are written on their own thread, the last table's too."""
    for table in edition.info.tables:
        copy = pl.read_parquet(edition.path / parquet_file(Table(table)))
        assert len(copy) > 0, table


codes = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=5, max_size=5)
rows = st.lists(
    st.tuples(
        codes,
        codes,
        st.sampled_from([19960101, 20100701, 20240101]),
        st.sampled_from([OPEN_DELETION, 20241231, 20240930]),
        st.sampled_from([0, 1, 9]),
        st.sampled_from(["A", "B", "C"]),
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=rows, data=st.data())
def test_lookup_round_trips_any_row_order(tmp_path: Path, rows: list, data) -> None:  # type: ignore[no-untyped-def]
    """File order never changes what a lookup returns; every row comes back."""
    shuffled = data.draw(st.permutations(rows))
    results = []
    for order in (rows, shuffled):
        out = tmp_path / uuid.uuid4().hex
        compile_edition(
            {Table.PTP_PRACTITIONER: ptp_frame(order)},
            EditionInfo(
                Program.MEDICARE, "2024Q3", "", False, {"ptp_practitioner": 1}, ()
            ),
            out,
        )
        ed = CompiledEdition(out)
        codes_seen = sorted({r[0] for r in rows} | {r[1] for r in rows})
        got = ed.ptp_among(Table.PTP_PRACTITIONER, codes_seen)
        results.append(
            sorted(
                (
                    r.column1,
                    r.column2,
                    r.effective,
                    r.deletion or date.max,
                    int(r.indicator),
                    r.rationale,
                )
                for r in got
            )
        )
    expected = sorted(
        (
            a,
            b,
            date(e // 10000, e // 100 % 100, e % 100),
            date.max
            if d == OPEN_DELETION
            else date(d // 10000, d // 100 % 100, d % 100),
            i,
            r,
        )
        for a, b, e, d, i, r in rows
        if a != b
    )
    assert results[0] == results[1] == expected


def _install(reg: EditionRegistry, quarter: str, tmp_path: Path) -> None:
    staged = reg.staging()
    info = EditionInfo(
        Program.MEDICARE, quarter, "", False, {"ptp_practitioner": 1}, ()
    )
    compile_edition({Table.PTP_PRACTITIONER: ptp_frame(ROWS[:1])}, info, staged)
    reg.install(staged, Program.MEDICARE, quarter, replace=False)


def test_registry_selects_by_date_of_service(tmp_path: Path) -> None:
    reg = EditionRegistry(tmp_path / "home")
    _install(reg, "2024Q3", tmp_path)
    _install(reg, "2025Q1", tmp_path)
    pick = reg.select
    assert pick(Program.MEDICARE, date(2024, 8, 15)).info.quarter == "2024Q3"  # type: ignore[union-attr]
    assert pick(Program.MEDICARE, date(2024, 12, 31)).info.quarter == "2025Q1"  # type: ignore[union-attr]
    assert pick(Program.MEDICARE, date(2020, 1, 1)).info.quarter == "2024Q3"  # type: ignore[union-attr]
    assert pick(Program.MEDICARE, date(2025, 4, 1)) is None
    assert pick(Program.MEDICAID, date(2024, 8, 15)) is None


def test_registry_refuses_a_second_import_and_removes(tmp_path: Path) -> None:
    reg = EditionRegistry(tmp_path / "home")
    _install(reg, "2024Q3", tmp_path)
    with pytest.raises(EditionExistsError):
        _install(reg, "2024Q3", tmp_path)
    assert [i.quarter for i in reg.list()] == ["2024Q3"]
    assert reg.leftovers() == []  # only the import the edition's link points to
    reg.remove(Program.MEDICARE, "2024Q3")
    assert reg.list() == []
    with pytest.raises(EditionNotFoundError):
        reg.remove(Program.MEDICARE, "2024Q3")


def test_half_built_edition_is_never_listed(tmp_path: Path) -> None:
    """A staging directory left by a killed import is invisible and swept later."""
    reg = EditionRegistry(tmp_path / "home")
    staged = reg.staging()
    staged.mkdir(parents=True)
    (staged / "ptp_practitioner.key.npy").write_bytes(b"partial")
    assert reg.list() == []
    _install(reg, "2024Q3", tmp_path)
    assert not staged.exists()


@pytest.mark.parametrize("old", [1, 99])
def test_store_format_is_checked(edition: CompiledEdition, old: int) -> None:
    """Format 1 (before the code universe, issue 8) is refused with a re-import hint."""
    manifest = edition.path / "edition.json"
    text = manifest.read_text()
    assert f'"format": {STORE_FORMAT}' in text
    manifest.write_text(text.replace(f'"format": {STORE_FORMAT}', f'"format": {old}'))
    with pytest.raises(StoreVersionError, match="import the CMS files again"):
        CompiledEdition(edition.path)
