"""Payer profiles are strict: every fault names the file and the key (issue 12)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from fluorocode.adapters.payers import PayerCatalog, read_profile
from fluorocode.domain.codes import PTP_ASSOCIATED_MODIFIERS, Program
from fluorocode.errors import ConfigError, PayerProfileError
from fluorocode.rules.payers import baseline, builtin_profiles, parse_profile

from ._profiles import GLOBAL_IN_FACILITY, MUE, ONLY_59, bundle, profile, text

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "examples/payers/example-commercial.toml"
)


def fault(doc: str) -> PayerProfileError:
    with pytest.raises(PayerProfileError) as info:
        parse_profile(doc, "acme.toml")
    assert str(info.value).startswith("acme.toml: ")
    return info.value


def test_builtins_are_the_ncci_baseline_of_their_program() -> None:
    profiles = builtin_profiles()
    assert set(profiles) == {"medicare", "medicaid"}
    for program in Program:
        p = baseline(program)
        assert p.base_program is program and p.is_baseline
        assert p.departures == () and p.bypass_modifiers == PTP_ASSOCIATED_MODIFIERS


def test_every_departure_is_listed_with_its_rule_and_source() -> None:
    p = profile(
        ONLY_59, GLOBAL_IN_FACILITY, MUE.format(basis="line"), bundle(["27506"], 0)
    )
    assert [(d.id, d.rule) for d in p.departures] == [
        ("ptp_bypass_modifiers", "NC01"),
        ("global_billing_in_facility", "FL05"),
        ("mue_basis", "NC02"),
        ("extra_bundles.b1", "PY01"),
    ]
    assert all(d.source for d in p.departures)
    assert not p.is_baseline


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        (text() + 'colour = "red"\n', "colour"),
        (
            text()
            + ONLY_59.replace('source = "test payer modifier policy 59-only"', ""),
            "ptp_bypass_modifiers.source",
        ),
        (
            text() + GLOBAL_IN_FACILITY + "extra = 1\n",
            "global_billing_in_facility.extra",
        ),
        (
            text()
            + bundle(["27506"], 0).replace("indicator = 0", "indicator = 0\nwhy = 1"),
            "extra_bundles[0].why",
        ),
        ('format = 1\nid = "acme"\nname = "x"\n', "base_program"),
    ],
)
def test_unknown_and_missing_keys_are_named(doc: str, key: str) -> None:
    assert fault(doc).key == key


@pytest.mark.parametrize(
    ("section", "key", "words"),
    [
        (ONLY_59.replace('"59", ', '"26", '), "ptp_bypass_modifiers.modifiers", "26"),
        (ONLY_59.replace('"59", ', ""), "ptp_bypass_modifiers.modifiers", "without 59"),
        (MUE.format(basis="week"), "mue_basis.basis", "'line' or 'day'"),
        (
            GLOBAL_IN_FACILITY.replace("true", '"yes"'),
            "global_billing_in_facility.allowed",
            "true or false",
        ),
        (bundle(["27506"], 2), "extra_bundles[0].indicator", "0 or 1"),
        (bundle(["2750"], 0), "extra_bundles[0].codes", "not a HCPCS/CPT code"),
        (bundle([], 0), "extra_bundles[0]", "no column-1"),
        (
            bundle(["27506"], 0).replace(
                "codes = ", 'families = ["knees"]\nranges = []\n#'
            ),
            "extra_bundles[0].families",
            "not an integral family",
        ),
        (bundle(["27506"], 0) + bundle(["27506"], 1), "extra_bundles[1].id", "new id"),
    ],
)
def test_bad_values_are_refused_naming_the_key(
    section: str, key: str, words: str
) -> None:
    err = fault(text() + section)
    assert err.key == key and words in err.reason


def test_bad_top_level_values() -> None:
    assert fault(text(base="tricare")).key == "base_program"
    assert fault(text(pid="Acme Plan")).key == "id"
    assert fault(text().replace("format = 1", "format = 2")).key == "format"
    assert fault("id = [").key == "(document)"


def test_a_deeply_nested_file_is_refused_not_a_traceback() -> None:
    # tomllib recurses per nesting level: 100,000 levels used to escape as RecursionError
    deep = fault("x = " + "[" * 100_000 + "]" * 100_000)
    assert deep.key == "(document)" and "nested too deeply" in str(deep)


def test_the_error_is_a_config_error_and_pickles() -> None:
    err = fault(text() + 'colour = "red"\n')
    assert isinstance(err, ConfigError)
    again = pickle.loads(pickle.dumps(err))
    assert (again.file, again.key, again.reason) == (err.file, err.key, err.reason)


def test_the_shipped_example_is_valid_and_cites_its_source() -> None:
    p = read_profile(EXAMPLE)
    assert p.id == "example-commercial" and p.base_program is Program.MEDICARE
    (dep,) = p.departures
    assert dep.rule == "PY01" and "highmarkbcbswv.com/medpolicy/X-23" in dep.source


def test_catalog_reads_home_profiles_and_x12_ids(tmp_path: Path) -> None:
    folder = tmp_path / "payers"
    folder.mkdir()
    (folder / "acme.toml").write_text(text() + 'x12_payer_ids = ["91919191"]\n')
    catalog = PayerCatalog.load(tmp_path)
    assert set(catalog.profiles) == {"medicare", "medicaid", "acme"}
    assert catalog.by_x12_id == {"91919191": "acme"}
    assert catalog.programs()["acme"] is Program.MEDICARE
    assert catalog.resolve(None, Program.MEDICAID).id == "medicaid"


@pytest.mark.parametrize(
    ("name", "doc", "key", "words"),
    [
        ("medicare.toml", text(pid="medicare"), "id", "built-in"),
        ("other.toml", text(pid="acme"), "id", "acme.toml"),
        ("acme.toml", text() + 'x12_payer_ids = ["1"]\n', "x12_payer_ids", "NM109"),
    ],
)
def test_catalog_refuses_a_bad_home_profile(
    tmp_path: Path, name: str, doc: str, key: str, words: str
) -> None:
    folder = tmp_path / "payers"
    folder.mkdir()
    (folder / name).write_text(doc)
    with pytest.raises(PayerProfileError) as info:
        PayerCatalog.load(tmp_path)
    assert info.value.file == str(folder / name)
    assert info.value.key == key and words in info.value.reason


def test_two_profiles_may_not_claim_one_x12_payer_id(tmp_path: Path) -> None:
    folder = tmp_path / "payers"
    folder.mkdir()
    (folder / "acme.toml").write_text(text() + 'x12_payer_ids = ["91919191"]\n')
    (folder / "bolt.toml").write_text(
        text(pid="bolt") + 'x12_payer_ids = ["91919191"]\n'
    )
    with pytest.raises(PayerProfileError, match="already selects the profile 'acme'"):
        PayerCatalog.load(tmp_path)


def test_a_profile_that_is_not_a_regular_file_is_refused_at_once(
    tmp_path: Path,
) -> None:
    # a link to /dev/zero used to be read forever, a FIFO to block
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.toml")
    for name in ("zero.toml", "fifo.toml"):
        with pytest.raises(PayerProfileError, match="not a regular file"):
            read_profile(tmp_path / name)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 300_000)
    with pytest.raises(PayerProfileError, match="bytes"):
        read_profile(big)
