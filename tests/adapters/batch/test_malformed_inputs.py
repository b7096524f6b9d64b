"""Malformed batch inputs (issue 10, hardening). A claim-line file that cannot be read
whole is refused with the file and line named and the reason, never the row's text,
and nothing is written; a well-formed file with quoted commas, newlines and CRLF reads
as written. A missing path, a FIFO or a directory is refused before it is opened. A
JSON line that is not JSON is one rejected encounter among the others; one too long to
be an encounter refuses its file. Paths with a quote are paths, not SQL. ``report``
refuses a directory that holds no readable batch result, and an RVU file it cannot
use, by name, and writes no page.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from fluorocode.adapters.batch import inputs
from fluorocode.adapters.batch.csv_input import MAX_HEADER_BYTES, csv_header
from fluorocode.api import run_batch, write_audit_report
from fluorocode.errors import ClaimInputError

HEADER = "claim_id,line,date_of_service,place_of_service,claim_type,program,provider,code,modifiers,units\n"  # noqa: E501
ROW = "c{n},1,2024-08-15,11,professional,medicare,NPI7,99213,,1\n"
SECRET = "Jane Q Patient"  # stands for a row's private text: never in an error


def _lines(n: int) -> str:
    return "".join(ROW.format(n=i) for i in range(n))


def _refused(tmp_path: Path, name: str, content: bytes) -> str:
    src = tmp_path / name
    src.write_bytes(content)
    out = tmp_path / "out"
    with pytest.raises(ClaimInputError) as info:
        run_batch([src], out, home=tmp_path / "home")
    (error,) = info.value.errors
    assert error.kind == "unreadable_file" or error.kind == "missing_column"
    assert error.field == str(src)
    assert SECRET not in error.message
    assert not list(out.glob("*.parquet")) and not (out / "summary.json").exists()
    return error.message


def test_a_truncated_last_row_is_refused_at_its_line(tmp_path: Path) -> None:
    body = HEADER + _lines(40) + f"c40,1,2024-08-15,{SECRET}"
    message = _refused(tmp_path, "cut.csv", body.encode())
    assert message == "CSV Error on Line: 42; Expected Number of Columns: 10 Found: 4"


def test_one_short_row_mid_file_is_named_not_taken_for_a_one_column_file(
    tmp_path: Path,
) -> None:
    # a sniffed dialect read this file as one column and refused it for "missing
    # column(s)" it has
    body = HEADER + _lines(5) + f"c9,1,{SECRET}\n" + _lines(5)
    message = _refused(tmp_path, "short.csv", body.encode())
    assert message == "CSV Error on Line: 7; Expected Number of Columns: 10 Found: 3"


def test_an_unterminated_quote_is_refused_at_its_line(tmp_path: Path) -> None:
    quote = HEADER + _lines(2) + f'c5,1,2024-08-15,11,,,"{SECRET},99213,,1\n'
    assert _refused(tmp_path, "q.csv", quote.encode()) == (
        "CSV Error on Line: 4; Value with unterminated quote found"
    )


def test_a_line_over_the_limit_is_refused_before_duckdb_reads(tmp_path: Path) -> None:
    # 40 MB: DuckDB alone returned no rows at all for such a file, without an error
    huge = f"c1,1,2024-08-15,11,,,{SECRET},99213,,{'7' * 40_000_000}"
    for name, body in (("last.csv", HEADER + huge), ("mid.csv", HEADER + huge + "\n"
                       + _lines(2)), ("first.csv", huge)):  # fmt: skip
        line = 1 if name == "first.csv" else 2
        assert _refused(tmp_path, name, body.encode()) == (
            f"line {line} is over 8,388,608 bytes (one claim line)"
        )
    # up to the limit, a line is read: a long note is the encounter's to refuse
    src = tmp_path / "note.csv"
    src.write_text(HEADER.rstrip("\n") + ",note\n" + ROW.format(n=1).rstrip("\n")
                   + "," + "n" * 2_000_000 + "\n")  # fmt: skip
    summary = run_batch([src], tmp_path / "out", home=tmp_path / "home")
    assert summary["encounters_by_status"] == {"rejected": 1}


def test_a_header_that_is_not_utf8_or_too_long_is_refused(tmp_path: Path) -> None:
    assert _refused(tmp_path, "latin.csv", "cl\xe4im,line\n".encode("latin-1")) == (
        "the header line is not UTF-8"
    )
    long = ("x" * (MAX_HEADER_BYTES + 1)).encode()
    assert "over 65,536 bytes" in _refused(tmp_path, "long.csv", long)


def test_a_truncated_parquet_file_is_refused_by_name(tmp_path: Path) -> None:
    whole = tmp_path / "whole.parquet"
    duckdb.sql(
        f"COPY (SELECT 'c1' AS claim_id, '1' AS line, '2024-08-15' AS date_of_service,"
        f" '11' AS place_of_service, '99213' AS code, '' AS modifiers, '1' AS units)"
        f" TO '{whole}' (FORMAT parquet)"
    )
    message = _refused(tmp_path, "cut.parquet", whole.read_bytes()[:-20])
    assert "cut.parquet" in message


def test_quoted_commas_newlines_and_crlf_read_as_written(tmp_path: Path) -> None:
    src = tmp_path / "ok.csv"
    rows = (
        HEADER.rstrip("\n") + ",note\r\n"
        + 'c1,1,2024-08-15,11,professional,medicare,NPI7,99213,,1,"a, b\r\nc ""d"""\r\n'
        + "c1,2,2024-08-15,11,professional,medicare,NPI7,36415,,1,\r\n"
    )  # fmt: skip
    src.write_bytes(rows.encode())
    summary = run_batch([src], tmp_path / "out", home=tmp_path / "home")
    assert summary["lines"] == 2 and summary["encounters"] == 1
    codes = duckdb.sql(
        f"SELECT list(code ORDER BY line) FROM '{tmp_path / 'out' / 'lines.parquet'}'"
    ).fetchall()
    assert codes == [(["99213", "36415"],)]


def test_repeated_header_names_are_kept_apart_and_the_first_is_matched(
    tmp_path: Path,
) -> None:
    src = tmp_path / "twice.csv"
    src.write_text('\ufeffcode,x,code,"a,b"\n')
    assert csv_header(src) == ["code", "x", "code_2", "a,b"]


def test_the_command_says_one_line_and_exits_2(tmp_path: Path) -> None:
    src = tmp_path / "cut.csv"
    src.write_text(HEADER + _lines(3) + f"c3,1,{SECRET}")
    done = subprocess.run(
        [sys.executable, "-m", "fluorocode", "batch", str(src), "--output",
         str(tmp_path / "out"), "--home", str(tmp_path / "home"), "--quiet"],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        f"fluorocode: {src}: CSV Error on Line: 5; Expected Number of Columns: 10 "
        "Found: 3\n"
    )


def test_a_missing_path_a_fifo_and_a_directory_are_refused_unopened(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "claims.csv"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    folder = tmp_path / "folder.parquet"
    folder.mkdir()
    for path, reason in (
        (tmp_path / "gone.csv", "cannot read (No such file or directory)"),
        (fifo, "not a regular file (a directory, FIFO or device)"),
        (folder, "not a regular file (a directory, FIFO or device)"),
    ):
        with pytest.raises(ClaimInputError) as info:
            run_batch([path], tmp_path / "out", home=tmp_path / "home")
        assert [(e.field, e.message) for e in info.value.errors] == [
            (str(path), reason)
        ]


def test_a_json_line_that_is_not_json_is_one_rejected_encounter(tmp_path: Path) -> None:
    good = (
        '{"id": "e1", "date_of_service": "2024-08-15", "place_of_service": "11", '
        '"lines": [{"code": "99213"}]}\n'
    )
    src = tmp_path / "enc.jsonl"
    # nested past the decoder's 1,024 levels, NaN, not UTF-8: each a rejected line
    src.write_bytes(
        (good + "[" * 100_000 + "\n" + '{"id": NaN}\n').encode() + b"\xff{\n" + b"\n"
    )
    summary = run_batch([src], tmp_path / "out", home=tmp_path / "home")
    assert summary["encounters"] == 4
    rows = duckdb.sql(
        f"SELECT rule, status FROM '{tmp_path / 'out' / 'findings.parquet'}'"
        " WHERE status = 'rejected'"
    ).fetchall()
    assert rows == [("input.invalid", "rejected")] * 3


def test_a_json_line_too_long_for_an_encounter_refuses_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inputs, "MAX_JSON_LINE_BYTES", 1000)
    src = tmp_path / "enc.jsonl"
    src.write_text('{"id": "e1"}\n\n' + '{"note": "' + "x" * 2000 + '"}\n')
    with pytest.raises(ClaimInputError) as info:
        run_batch([src], tmp_path / "out", home=tmp_path / "home")
    assert [(e.field, e.message) for e in info.value.errors] == [
        (str(src), "line 3 is over 1,000 bytes (one encounter per line)")
    ]
    assert not (tmp_path / "out" / "summary.json").exists()


def test_an_output_directory_with_a_quote_is_a_path_not_sql(tmp_path: Path) -> None:
    src = tmp_path / "it's.csv"
    src.write_text(HEADER + _lines(2))
    out = tmp_path / "O'Brien's audit"
    summary = run_batch([src], out, home=tmp_path / "home", csv=True)
    assert summary["lines"] == 2
    assert {p.name for p in out.iterdir()} == {
        "lines.parquet", "findings.parquet", "lines.csv", "findings.csv", "summary.json"
    }  # fmt: skip


def _batch_output(tmp_path: Path) -> Path:
    src = tmp_path / "claims.csv"
    src.write_text(HEADER + _lines(3))
    out = tmp_path / "out"
    run_batch([src], out, home=tmp_path / "home")
    return out


def _report_refused(
    batch: Path, page: Path, rvu: Path | None = None
) -> tuple[str, str]:
    with pytest.raises(ClaimInputError) as info:
        write_audit_report(batch, page, rvu)
    assert not page.exists()
    (error,) = info.value.errors
    return error.field, error.message


def test_report_refuses_a_directory_without_readable_results(tmp_path: Path) -> None:
    out, page = _batch_output(tmp_path), tmp_path / "page.html"
    lines, findings = out / "lines.parquet", out / "findings.parquet"
    findings.write_bytes(lines.read_bytes())  # a Parquet file, but not the findings
    assert _report_refused(out, page) == (
        str(findings),
        "not a batch result: no column(s) finding, rule, lines, message, citation, "
        "evidence, edit_column_1, edit_column_2, edit_effective, edit_deletion, "
        "edit_modifier_indicator, edit_rationale, mue_code, mue_value, mue_mai, "
        "edition_quarter",
    )
    lines.write_bytes(lines.read_bytes()[:-30])
    field, message = _report_refused(out, page)
    assert field == str(lines) and "No magic bytes" in message
    lines.unlink()
    assert _report_refused(out, page) == (
        str(lines), "missing: give the --output directory of fluorocode batch"
    )  # fmt: skip


def test_report_refuses_an_rvu_file_it_cannot_use(tmp_path: Path) -> None:
    out, page = _batch_output(tmp_path), tmp_path / "page.html"
    rvu = tmp_path / "rvu.tsv"
    rvu.write_text("code\tvalue\n99213\t1\n")
    assert _report_refused(out, page, rvu) == (
        str(rvu),
        "no column(s) hcpcs_code, mod, rvu_non_sum, rvu_fac_sum, cf: a PFS RVU file is "
        "a TSV with hcpcs_code, mod, rvu_non_sum, rvu_fac_sum, cf",
    )
    # 99213 is on no held or removed line: the file is checked whole, not as used
    rvu.write_text(
        "hcpcs_code\tmod\trvu_non_sum\trvu_fac_sum\tcf\n"
        "71046\t\t1.5\t1\t33\n99213\t\tabc\t1\t33\n"
    )
    assert _report_refused(out, page, rvu) == (
        str(rvu), "99213: rvu_non_sum, rvu_fac_sum and cf must be numbers"
    )  # fmt: skip
