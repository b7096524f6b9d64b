"""The public interface: shapes, offsets, bad input (contract.md "Reading a note")."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

import fluorocode.extraction as extraction
from fluorocode.errors import ExtractionError, FluorocodeError
from fluorocode.extraction import (
    Evidence,
    FactWarning,
    NoteFacts,
    Warning,
    extract,
    extract_bytes,
)

CONTRACT_KEYS = [
    "fluoroscopy_used",
    "minutes",
    "air_kerma_mgy",
    "dose_area_product_gycm2",
    "indication",
    "images_saved",
    "separate_report",
    "evidence",
]
NOTE = (
    "INDICATION:  Comminuted intertrochanteric fracture requiring fixation.\n"
    "PROCEDURE:  Nail under fluoroscopic guidance. Fluoroscopy time 1:32. Air kerma "
    "7.4 mGy; DAP 2.6 Gy·cm². Images were saved. See separate radiology report."
)


def test_to_dict_is_the_contract_shape_plus_two_keys() -> None:
    out = extract(NOTE).to_dict()
    assert list(out) == [*CONTRACT_KEYS[:-1], "standalone", "evidence", "warnings"]
    assert set(out) == {*CONTRACT_KEYS, "standalone", "warnings"}
    assert out["minutes"] == 1.53
    assert out["air_kerma_mgy"] == 7.4
    assert out["dose_area_product_gycm2"] == 2.6
    assert (
        out["indication"] == "Comminuted intertrochanteric fracture requiring fixation"
    )
    assert out["images_saved"] is True and out["separate_report"] is True
    assert out["standalone"] is False and out["fluoroscopy_used"] is True
    for ev in out["evidence"]:
        assert list(ev) == ["field", "start", "end", "text"]
        assert NOTE[ev["start"] : ev["end"]] == ev["text"]
    fields = {ev["field"] for ev in out["evidence"]}
    assert fields == {k for k, v in out.items() if v not in (None, [])} - {
        "evidence",
        "warnings",
    }


def test_provenance_names_the_pattern() -> None:
    out = extract(NOTE).to_dict(provenance=True)
    assert all(ev["pattern"] for ev in out["evidence"])


def test_every_value_is_json_plain() -> None:
    import json

    json.dumps(extract(NOTE).to_dict())


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_empty_text_gives_all_null(text: str) -> None:
    facts = extract(text)
    assert facts == NoteFacts()
    assert all(
        v is None
        for k, v in facts.to_dict().items()
        if k not in ("evidence", "warnings")
    )


@pytest.mark.parametrize("value", [None, 42, ["fluoroscopy"], object()])
def test_non_text_is_an_extraction_error(value: object) -> None:
    with pytest.raises(ExtractionError, match="must be text"):
        extract(value)  # type: ignore[arg-type]


def test_bytes_to_extract_point_to_extract_bytes() -> None:
    with pytest.raises(ExtractionError, match="extract_bytes"):
        extract(b"fluoroscopy")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_extract_bytes_decodes_utf8(kind: type) -> None:
    data = kind(NOTE.encode("utf-8"))
    assert extract_bytes(data) == extract(NOTE)


def test_extract_bytes_rejects_invalid_utf8_with_the_offset() -> None:
    data = b"Fluoroscopy time 1:32 " + b"\xff\xfe mGy"
    with pytest.raises(ExtractionError, match=r"not valid UTF-8.*byte 22 \(0xff\)"):
        extract_bytes(data)


def test_extract_bytes_rejects_latin1() -> None:
    with pytest.raises(ExtractionError):
        extract_bytes("Dosis 3 µGy·m² Fluoroskopie".encode("latin-1"))


def test_extract_bytes_needs_bytes() -> None:
    with pytest.raises(ExtractionError, match="needs bytes"):
        extract_bytes("text")  # type: ignore[arg-type]


def test_extraction_error_is_in_the_tree_and_pickles() -> None:
    err = ExtractionError("x")
    assert isinstance(err, FluorocodeError)
    assert str(pickle.loads(pickle.dumps(err))) == "x"


def test_offsets_index_the_text_as_given_with_wide_characters() -> None:
    text = "İİ 🙂 Ünder — fluoroscopy time 1:32 ✓; air kerma 7 mGy"
    facts = extract(text)
    assert facts.minutes == 1.53 and facts.air_kerma_mgy == 7.0
    for ev in facts.evidence:
        assert text[ev.start : ev.end] == ev.text


def test_results_are_frozen_picklable_and_deterministic() -> None:
    facts = extract(NOTE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.minutes = 2.0  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(facts)) == facts
    assert extract(NOTE) == facts


def test_warning_alias_and_exports() -> None:
    assert Warning is FactWarning
    assert sorted(extraction.__all__) == extraction.__all__
    assert {"extract", "extract_bytes", "NoteFacts", "Evidence", "Warning"} <= set(
        extraction.__all__
    )
    assert Evidence("minutes", 0, 1, "x").to_dict() == {
        "field": "minutes",
        "start": 0,
        "end": 1,
        "text": "x",
    }


def test_the_package_imports_only_what_it_may() -> None:
    import ast
    from pathlib import Path

    allowed_roots = {"fluorocode"}
    package = Path(extraction.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                if root in allowed_roots:
                    assert name.startswith(
                        (
                            "fluorocode.extraction",
                            "fluorocode.domain",
                            "fluorocode.errors",
                        )
                    ), f"{module.name} imports {name}"
                else:
                    import sys

                    assert root in sys.stdlib_module_names, f"{module.name}: {name}"
