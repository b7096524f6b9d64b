"""Batch inputs beyond claim lines (issues 10 and 12): the ``payer`` column and
``--payer``, the provider and payer of 837 claims, FHIR R4 Claims and Bundles, and a
summary that never merges two encounters sharing a claim id.

Each batch is compared, encounter by encounter, with what ``check`` reports for the
same input under the same payer profiles (a fresh home: the demo edition answers).
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from fluorocode.api import Checker, check_claims, run_batch
from fluorocode.cli import cli
from fluorocode.errors import ClaimInputError
from fluorocode.jsoncodec import encode
from payers._profiles import ONLY_59, bundle, text

from .compare import assert_equal, batch_view, check_view
from .test_x12_input import _batch, _expected

X12 = "x12/oopfactory-x12parser/837P_5010"
FHIR = "fhir/hl7.fhir.r4.examples-4.0.1"
NPI = "http://hl7.org/fhir/sid/us-npi"
COLUMNS = [
    "claim_id", "line", "date_of_service", "place_of_service", "claim_type",
    "program", "provider", "code", "modifiers", "units", "payer",
]  # fmt: skip


def _home(tmp_path: Path, extra: str = "", editions: Path | None = None) -> Path:
    """A home with the profile ``acme``: 76000 bundled into 27506 (PY01, indicator
    0) and only 59 of the X modifiers accepted; ``editions``: those of another home
    (else none: the demo edition answers)."""
    home = tmp_path / "home"
    (home / "payers").mkdir(parents=True)
    if editions is not None:
        (home / "editions").symlink_to(editions / "editions")
    doc = text() + extra + ONLY_59 + bundle(["27506"], 0)
    (home / "payers" / "acme.toml").write_text(doc)
    return home


def _enc(eid: str, codes: list[str], **fields: str) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": eid,
        "date_of_service": "2024-08-15",
        "place_of_service": "22",
        **fields,
        "lines": [{"code": c, "units": 1} for c in codes],
    }
    return obj


#: (encounter, the payer column of each line); the encounter's own ``payer`` is what
#: ``check`` is given.
CASES = [
    (_enc("bundled", ["27506", "76000"], payer="acme"), ["acme", "acme"]),
    (_enc("baseline", ["27506", "76000"]), ["", ""]),
    (_enc("builtin", ["27506", "76000"], payer="medicare"), ["medicare", ""]),
    (_enc("office", ["99213", "20610"], payer="medicare"), ["medicare", "medicare"]),
    (_enc("office-acme", ["99213", "20610"], payer="acme"), ["", "acme"]),
    (_enc("typo", ["27506", "76000"], payer="acne"), ["acne", "acne"]),
    (
        _enc("conflict", ["27506", "76000"], payer="acme", program="medicaid"),
        ["acme", "acme"],
    ),
    (_enc("medicaid", ["99213"], payer="medicaid"), ["medicaid"]),
]


def _write(path: Path, cases: list[tuple[dict[str, Any], list[str]]]) -> None:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        for obj, payers in cases:
            for n, (line, payer) in enumerate(zip(obj["lines"], payers, strict=True)):
                out.writerow(
                    [
                        obj["id"], n + 1, obj["date_of_service"],
                        obj["place_of_service"], "", obj.get("program", ""),
                        "P1", line["code"], "", line["units"], payer,
                    ]
                )  # fmt: skip


def _expected_view(checker: Checker, objs: list[dict[str, Any]]) -> dict[Any, Any]:
    return {
        (o["id"], o["date_of_service"], "P1"): check_view(
            checker.check(o), list(range(1, len(o["lines"]) + 1))
        )
        for o in objs
    }


@pytest.mark.slow
@pytest.mark.parametrize("default", [None, "acme"])
def test_payer_column_and_default_equal_check(
    default: str | None, real_home: Path, tmp_path: Path
) -> None:
    home = _home(tmp_path, editions=real_home)
    src = tmp_path / "claims.csv"
    _write(src, CASES)
    summary = run_batch([src], tmp_path / "out", home=home, payer=default)
    checker = Checker(home, payer=default)
    expected = _expected_view(checker, [obj for obj, _ in CASES])
    assert_equal(batch_view(tmp_path / "out"), expected)
    # the departures did decide: the payer's bundle removed 76000; unknown and
    # conflicting payers are rejected as check rejects them
    bundled = expected[("bundled", "2024-08-15", "P1")]
    assert "payer.bundled" in [f[0] for f in bundled["findings"]]
    assert expected[("typo", "2024-08-15", "P1")]["status"] == "rejected"
    assert expected[("conflict", "2024-08-15", "P1")]["status"] == "rejected"
    if default is None:
        # an encounter under its built-in profile is still SQL's to decide
        assert summary["encounters_decided_in_sql"] >= 1
    else:
        # only "office" names its program's built-in profile (the default does not
        # apply to it): every other encounter is the engine's
        assert summary["encounters_decided_in_sql"] == 1


def test_lines_giving_two_payers_are_rejected(tmp_path: Path) -> None:
    src = tmp_path / "claims.csv"
    _write(src, [(_enc("two", ["99213", "20610"]), ["acme", "medicare"])])
    run_batch([src], tmp_path / "out", home=_home(tmp_path))
    rows = duckdb.sql(
        f"SELECT status, message FROM '{tmp_path / 'out' / 'findings.parquet'}'"
    ).fetchall()
    assert rows == [
        ("rejected", "payer: the lines of one encounter give 2 different payers")
    ]


def test_unknown_default_payer_is_refused_before_reading(tmp_path: Path) -> None:
    src = tmp_path / "claims.csv"
    _write(src, CASES[:1])
    home = _home(tmp_path)
    with pytest.raises(ClaimInputError, match="unknown payer profile 'acne'"):
        run_batch([src], tmp_path / "out", home=home, payer="acne")
    result = CliRunner().invoke(
        cli,
        ["batch", str(src), "-o", str(tmp_path / "o"), "--payer", "acne"]
        + ["--home", str(home)],
    )
    assert result.exit_code == 2 and "--payer" in result.stderr
    assert not (tmp_path / "o" / "summary.json").exists()


def test_cli_payer_option(tmp_path: Path) -> None:
    src = tmp_path / "claims.csv"
    _write(src, [(_enc("b", ["27506", "76000"]), ["", ""])])
    out = tmp_path / "out"
    home = _home(tmp_path)
    args = ["batch", str(src), "-o", str(out), "-q", "--home", str(home)]
    result = CliRunner().invoke(cli, [*args, "--payer", "acme"])
    assert result.exit_code == 0, result.stderr
    rules = duckdb.sql(f"SELECT rule FROM '{out / 'findings.parquet'}'").fetchall()
    assert ("payer.bundled",) in rules
    conflict = CliRunner().invoke(
        cli, [*args, "--payer", "acme", "--program", "medicaid"]
    )
    assert conflict.exit_code == 2


# -- 837: the provider and the payer ---------------------------------------------------


def test_837_provider_is_rendering_else_billing_npi(
    shared_data: Path, tmp_path: Path
) -> None:
    path = shared_data / X12 / "Example1_2_And_3_Combined.txt"
    run_batch([path], tmp_path / "out", home=tmp_path / "h")
    providers = dict(
        duckdb.sql(
            f"SELECT DISTINCT split_part(claim_id, '@', 1), provider "
            f"FROM '{tmp_path / 'out' / 'lines.parquet'}'"
        ).fetchall()
    )
    # (a claim on several dates gives CLM01@date encounters)
    # 26463774: no NM1*82, the billing provider of its HL*20 loop;
    # 26407789: loop 2310B's rendering NPI
    assert providers["26463774"] == "9876543210"
    assert providers["26407789"] == "1999996666"
    assert "" not in providers.values()


def test_837_payer_profile_from_nm1_pr_equals_check(
    shared_data: Path, tmp_path: Path
) -> None:
    # ST1309's NM1*PR NM109 is 91919191; acme lists it
    home = _home(tmp_path, 'x12_payer_ids = ["91919191"]\n')
    path = shared_data / X12 / "ST1309-XX.txt"
    run_batch([path], tmp_path / "out", home=home)
    assert _batch(tmp_path / "out") == _expected(path, home)
    with open(path, "rb") as f:
        checks = list(check_claims(f, str(path), checker=Checker(home)))
    assert any(c.report.payer for c in checks)  # the profile decided something


# -- FHIR R4 -----------------------------------------------------------------------------


def _knee_claim(shared_data: Path, cid: str) -> dict[str, Any]:
    """Claim-MED-00050 as a professional claim: 27506 and 76000, POS 22."""
    claim: dict[str, Any] = json.loads(
        (shared_data / FHIR / "Claim-MED-00050.json").read_text()
    )
    claim["id"] = cid
    claim["type"]["coding"][0]["code"] = "professional"
    template = claim["item"][0]
    claim["item"] = []
    for n, code in enumerate(["27506", "76000"], start=1):
        item = copy.deepcopy(template)
        item["sequence"] = n
        item["productOrService"] = {
            "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": code}]
        }
        item["servicedDate"] = "2024-08-15"
        item["locationCodeableConcept"] = {"coding": [{"code": "22"}]}
        claim["item"].append(item)
    return claim


def _fhir_expected(path: Path, home: Path) -> list[tuple[Any, ...]]:
    """``_expected`` for FHIR: the lines numbered by their items' ``sequence``."""
    rows: list[tuple[Any, ...]] = []
    with open(path, "rb") as f:
        for c in check_claims(f, str(path), checker=Checker(home)):
            r = c.report
            numbers = [int(ln["sequence"]) for ln in c.source["lines"]]
            results = {x.index: x for x in r.lines if not x.suggested}
            for i, n in enumerate(numbers):
                x = results.get(i)
                rows.append(
                    (
                        "line", r.encounter_id, n, x.action.value if x else None,
                        ":".join(x.modifiers) if x else None, r.status.value,
                    )
                )  # fmt: skip
            for e in r.errors:
                message = f"{e.field}: {e.message}"
                rows.append(("finding", r.encounter_id, "input.invalid", message))
            for f_ in r.findings:
                rows.append(
                    (
                        "finding", r.encounter_id, f_.rule, f_.status.value,
                        tuple(numbers[i] for i in f_.lines), f_.message,
                        json.loads(encode(dict(f_.evidence))),
                    )
                )  # fmt: skip
    return sorted(rows, key=repr)


def test_fhir_bundle_equals_check_with_provider_and_payer(
    shared_data: Path, tmp_path: Path
) -> None:
    home = _home(tmp_path, 'fhir_payer_ids = ["http://www.bindb.com/bin|123456"]\n')
    by_npi = _knee_claim(shared_data, "k-npi")  # insurer: the BIN acme lists
    by_npi["provider"] = {"identifier": {"system": NPI, "value": "1234567893"}}
    by_ref = _knee_claim(shared_data, "k-ref")
    by_ref["provider"] = {"reference": "Practitioner/p1"}
    by_ref.pop("insurer", None)
    bad = _knee_claim(shared_data, "k-bad")
    bad["item"][1]["quantity"] = {"value": 1.5}
    practitioner = {
        "resourceType": "Practitioner",
        "id": "p1",
        "identifier": [{"system": NPI, "value": "1111111112"}],
    }
    doc = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:a", "resource": by_npi},
            {"fullUrl": "urn:uuid:b", "resource": by_ref},
            {"fullUrl": "urn:uuid:c", "resource": bad},
            {"fullUrl": "http://x/Practitioner/p1", "resource": practitioner},
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(doc, indent=2))
    summary = run_batch([path], tmp_path / "out", home=home)
    assert summary["encounters"] == 3
    assert _batch(tmp_path / "out") == _fhir_expected(path, home)
    providers = dict(
        duckdb.sql(
            f"SELECT DISTINCT claim_id, provider "
            f"FROM '{tmp_path / 'out' / 'lines.parquet'}'"
        ).fetchall()
    )
    assert providers["k-npi"] == "1234567893" and providers["k-ref"] == "1111111112"
    rules = {row[2] for row in _batch(tmp_path / "out") if row[0] == "finding"}
    assert "payer.bundled" in rules  # Claim.insurer selected acme


# -- the summary ---------------------------------------------------------------------


def test_summary_counts_every_encounter_and_claim(
    shared_data: Path, tmp_path: Path
) -> None:
    """The same encounter id in two JSON lines files, and one 837 twice: each
    encounter counted, none merged by claim id."""
    lines = [
        json.dumps(_enc("same", ["99213"])),
        json.dumps(_enc("same", ["99213", "99213"])),  # an MUE question: engine
    ]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(lines[0] + "\n")
    b.write_text(lines[0] + "\n" + lines[1] + "\n")
    x12 = shared_data / X12 / "Example1_2_And_3_Combined.txt"
    summary = run_batch([a, b, x12, x12], tmp_path / "out", home=tmp_path / "h")
    once = run_batch([x12], tmp_path / "once", home=tmp_path / "h")
    assert summary["encounters"] == 3 + 2 * once["encounters"]
    assert sum(summary["encounters_by_status"].values()) == summary["encounters"]
    assert sum(once["encounters_by_status"].values()) == once["encounters"]
    # claims: (file, claim id, provider): "same" in a and in b, the 837's twice
    # (an 837 claim on several dates has one CLM01@date id per date)
    assert summary["claims"] == 2 + 2 * once["claims"]
    assert once["claims"] == len({(c, p) for c, _, p in batch_view(tmp_path / "once")})


@pytest.mark.slow
def test_claim_lines_sharing_a_key_with_a_json_encounter_stay_apart(
    real_home: Path, tmp_path: Path
) -> None:
    """A CSV encounter and a JSON lines one with the same claim id, date and
    provider are two encounters, both decided by the engine (the output rows cannot
    tell them apart); the CSV alone is decided in SQL (no window over its lines)."""
    csv_path = tmp_path / "lines.csv"
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["claim_id", "line", "date_of_service", "place_of_service", "claim_type",
             "program", "provider", "code", "modifiers", "units"]
        )  # fmt: skip
        w.writerow(["same", "1", "2024-08-15", "22", "", "", "", "99213", "", "1"])
    json_path = tmp_path / "enc.jsonl"
    json_path.write_text(json.dumps(_enc("same", ["99214"])) + "\n")
    alone = run_batch([csv_path], tmp_path / "alone", home=real_home)
    assert alone["encounters"] == 1 and alone["encounters_checked_by_rules"] == 0
    both = run_batch([csv_path, json_path], tmp_path / "both", home=real_home)
    assert both["encounters"] == 2 and both["encounters_checked_by_rules"] == 2
    assert sum(both["encounters_by_status"].values()) == 2
