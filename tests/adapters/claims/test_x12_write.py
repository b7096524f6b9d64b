"""Writing the corrected 837: round trips, modifiers, removed lines, held claims, pyx12."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from fluorocode.adapters.claims.model import ClaimOutcome
from fluorocode.adapters.claims.x12_837 import read_transaction
from fluorocode.adapters.claims.x12_segments import Segment, SegmentReader, envelopes
from fluorocode.adapters.claims.x12_write import X12Writer
from fluorocode.api import Checker, ClaimCheck, check_claims


def run(path: Path, checker: Checker) -> tuple[list[ClaimCheck], str]:
    out = io.StringIO(newline="")
    with path.open("rb") as f:
        checks = list(check_claims(f, path.name, checker=checker, output=out))
    return checks, out.getvalue()


def segments(text: str) -> list[str]:
    """The segments of an X12 text with "~" or line-break terminators, unindented."""
    term = text.lstrip("\ufeff")[105]
    parts = re.split(r"\r\n|\r|\n", text) if term in "\r\n" else text.split("~")
    return [p.strip().lstrip("\ufeff") for p in parts if p.strip()]


def pyx12_errors(text: str, tmp_path: Path) -> list[str]:
    """Validate with pyx12 against 005010X222A1; return its error lines.

    pyx12 reads ASCII only and refuses indentation ("Segment contains a leading space")
    and a line break as terminator, so the segments are rejoined with "~" + LF first:
    the layout, not the content, is what changes.
    """
    import logging

    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12n_document

    path = tmp_path / "to-validate.txt"
    path.write_text("~\n".join(segments(text)) + "~\n", encoding="ascii")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                records.append(record.getMessage())

    logger = logging.getLogger("pyx12")
    handler = Keep()
    logger.addHandler(handler)
    try:
        ok = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(),
            src_file=str(path),
            fd_997=None,
            fd_html=None,
            fd_xmldoc=None,
        )
    finally:
        logger.removeHandler(handler)
    return [] if ok and not records else records or ["pyx12: Failure"]


def keep_all(path: Path) -> str:
    """Read a file and write it back with every claim going out as it came."""
    out = io.StringIO(newline="")
    with path.open("rb") as f:
        reader = SegmentReader(f, path.name)
        writer = None
        count = 0
        for item in envelopes(reader):
            if writer is None:
                writer = X12Writer(out, reader.bom, reader.delimiters)
            if isinstance(item, Segment):
                writer.envelope(item)
                continue
            claims = read_transaction(
                item, path.name, count, reader.delimiters.component, "medicare"
            )
            count += len(claims)
            keep = {
                c.ordinal: ClaimOutcome(c.ordinal, "", True, None, {}) for c in claims
            }
            writer.transaction(item, claims, keep)
        assert writer is not None
        writer.close(reader.tail)
    return out.getvalue()


@pytest.mark.parametrize(
    "sample",
    [
        "837P_5010/Example1_HealthInsurance.txt",  # BOM, indentation, CRLF and "~"
        "837P_5010/Example1_2_And_3_Combined.txt",  # two transaction sets
        "837P_5010/Example3_COB.txt",
        "837P_5010/MedicaidExample.txt",  # "|" repetition, ">" component separator
        "837P_5010/ST1309-XX.txt",  # a line break as terminator, no final one
        "837I_5010/Spec_3.1.2_TwoClaimsForTheSameProvider.txt",
    ],
)
def test_a_file_whose_lines_all_keep_round_trips_byte_for_byte(
    x12: Path, sample: str
) -> None:
    assert keep_all(x12 / sample).encode("utf-8") == (x12 / sample).read_bytes()


def test_a_clean_claim_round_trips_through_check(
    x12: Path, derive: Any, demo: Checker
) -> None:
    source = derive(
        x12 / "837P_5010/ST1309-XX.txt",
        ("SV1*HC:99204*250*UN*1*11**1", "SV1*HC:20610*250*UN*1*11**1"),
        ("DTP*472*D8*20130312", "DTP*472*D8*20240815"),
        ("SV1*HC:73610*110*UN*1*11**1", "SV1*HC:29880*110*UN*1*11**1"),
        ("DTP*472*D8*20130312", "DTP*472*D8*20240815"),
    )
    checks, written = run(source, demo)
    assert [ln.action.value for c in checks for ln in c.report.lines] == [
        "keep",
        "keep",
    ]
    assert written.encode("utf-8") == source.read_bytes()


def test_removed_line_dropped_clm02_and_se01_recomputed_valid_for_pyx12(
    x12: Path, derive: Any, demo: Checker, tmp_path: Path
) -> None:
    source = derive(
        x12 / "837P_5010/ST1309-XX.txt",
        ("CLM*B330004Y*360***11:B:1", "CLM*B330004Y*360***22:B:1"),
        ("SV1*HC:99204*250*UN*1*11**1", "SV1*HC:33289*250*UN*1*22**1"),
        ("DTP*472*D8*20130312", "DTP*472*D8*20240815"),
        ("SV1*HC:73610*110*UN*1*11**1", "SV1*HC:76000*110*UN*1*22**1"),
        ("DTP*472*D8*20130312", "DTP*472*D8*20240815"),
    )
    assert pyx12_errors(source.read_text(), tmp_path) == []  # the input is valid
    checks, written = run(source, demo)
    (check,) = checks
    assert [ln.action.value for ln in check.report.lines] == ["keep", "remove"]
    segs = segments(written)
    assert "CLM*B330004Y*250***22:B:1*Y*A*Y*Y" in segs
    assert not any(s.startswith("SV1*HC:76000") for s in segs)
    assert [s for s in segs if s.startswith("LX")] == ["LX*1"]
    st = next(i for i, s in enumerate(segs) if s.startswith("ST*"))
    se = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    assert segs[se] == f"SE*{se - st + 1}*1309"
    assert "\r\n" in written and "~" not in written  # its own terminator kept
    assert pyx12_errors(written, tmp_path) == []


def test_modifier_26_goes_into_the_composite_and_lx_renumbers(
    x12: Path, derive: Any, demo: Checker, tmp_path: Path
) -> None:
    # line 1 is bundled (removed), line 2 gets 26: LX 2 becomes LX 1
    source = derive(
        x12 / "837P_5010/ST1309-XX.txt",
        ("CLM*B330004Y*360***11:B:1", "CLM*B330004Y*360***22:B:1"),
        ("SV1*HC:99204*250*UN*1*11**1", "SV1*HC:20610*250*UN*1*22**1"),
        ("DTP*472*D8*20130312", "DTP*472*D8*20240815"),
        ("SV1*HC:73610*110*UN*1*11**1", "SV1*HC:77002*110*UN*1*22**1"),
        ("DTP*472*D8*20130312", "DTP*472*D8*20240815"),
    )
    checks, written = run(source, demo)
    assert [ln.action.value for ln in checks[0].report.lines] == ["keep", "modify"]
    segs = segments(written)
    assert "SV1*HC:77002:26*110*UN*1*22**1" in segs
    assert "CLM*B330004Y*360***22:B:1*Y*A*Y*Y" in segs  # nothing removed: CLM02 as sent
    assert pyx12_errors(written, tmp_path) == []


def test_a_held_claim_is_not_written_and_its_hl_loops_go_with_it(
    x12: Path, derive: Any, demo: Checker
) -> None:
    # two 837I claims in two subscriber loops: the first is held (unknown codes in the
    # demo edition), the second is corrected
    source = derive(
        x12 / "837I_5010/Spec_3.1.2_TwoClaimsForTheSameProvider.txt",
        ("DTP*472*D8*20050315", "DTP*472*D8*20240815"),
        ("DTP*472*D8*20050315", "DTP*472*D8*20240815"),
        (
            "SV2*0300*HC:85087*50*UN*1",
            "SV2*0300*HC:33289*50*UN*1~\n              DTP*472*D8*20240815~\n"
            "            LX*2~\n              SV2*0320*HC:76000*20*UN*1",
        ),
        ("DTP*472*D8*20050401", "DTP*472*D8*20240815"),
        ("SE*48*987654", "SE*51*987654"),
    )
    checks, written = run(source, demo)
    first, second = checks
    assert first.report.status.value == "needs_provider_input"
    assert first.source["written"] is False
    assert "on hold" in first.source["not_written_because"]
    assert second.report.status.value == "corrected" and second.source["written"]
    segs = segments(written)
    assert not any(s.startswith("CLM*756048Q") for s in segs)
    assert "CLM*756049Q*50***13:A:1*Y*C*Y*Y" in segs  # 76000's 20 dropped from 70
    assert [s for s in segs if s.startswith("HL*")] == ["HL*1**20*1", "HL*2*1*22*0"]
    assert [s for s in segs if s.startswith("LX*")] == ["LX*1"]
    st = next(i for i, s in enumerate(segs) if s.startswith("ST*"))
    se = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    assert segs[se] == f"SE*{se - st + 1}*987654"
    assert segs[-2:] == ["GE*1*1", "IEA*1*000000905"]


def test_nothing_to_send_leaves_an_empty_file(x12: Path, demo: Checker) -> None:
    # unknown codes in the demo edition: every claim is held
    checks, written = run(x12 / "837P_5010/Example1_2_And_3_Combined.txt", demo)
    assert checks and not any(c.source["written"] for c in checks)
    assert written in ("", "\ufeff")
