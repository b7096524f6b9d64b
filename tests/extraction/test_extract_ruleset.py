"""Patterns as versioned data: validation, round trip, and the search-hint promises."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import pytest

from fluorocode.errors import ConfigError
from fluorocode.extraction import PatternSet, extract, load_patterns
from fluorocode.extraction._text import Scan
from fluorocode.extraction.ruleset import Category

from . import phrases as P


def _raw() -> dict[str, Any]:
    path = resources.files("fluorocode.extraction") / "patterns" / "v1.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_shipped_set_loads_once_and_is_versioned() -> None:
    ps = load_patterns()
    assert ps is load_patterns("v1")
    assert ps.version == "1"
    assert not hasattr(ps, "limits")  # issue 8: limits live in domain.limits only


def test_round_trip() -> None:
    raw = _raw()
    ps = PatternSet.from_dict(raw)
    assert ps.to_dict() == raw
    assert PatternSet.from_dict(ps.to_dict()) == ps


def test_every_pattern_says_why() -> None:
    for pattern in load_patterns().patterns:
        assert pattern.comment, pattern.id
        assert pattern.id.startswith(pattern.category.value + "."), pattern.id


def _broken(change: Any) -> dict[str, Any]:
    raw = copy.deepcopy(_raw())
    change(raw)
    return raw


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda r: r.update(colour="red", shape=1),
            r"unknown keys \['colour', 'shape'\]",
        ),
        (lambda r: r.pop("version"), r"missing keys \['version'\]"),
        (lambda r: r.update(version=""), "non-empty string"),
        (lambda r: r.update(patterns=[]), "non-empty list"),
        (lambda r: r["patterns"][0].update(flavour="x"), r"unknown keys \['flavour'\]"),
        (lambda r: r["patterns"][0].pop("regex"), r"missing keys \['regex'\]"),
        (lambda r: r["patterns"][0].update(regex="(unclosed"), "invalid regex"),
        (lambda r: r["patterns"][0].update(category="vibes"), "unknown category"),
        (lambda r: r["patterns"][1].update(id=r["patterns"][0]["id"]), "duplicate"),
        (lambda r: r["patterns"][0].update(regex="{NOPE}"), "undefined"),
        (lambda r: r["patterns"][0].update(direction="forward", scope=3), "modifiers"),
        (lambda r: r["patterns"][0].update(anchors=["x"]), "not both"),
        (lambda r: r["patterns"][0].update(starts=[]), "non-empty list"),
        (lambda r: r["patterns"][0].update(case_sensitive="yes"), "true or false"),
        (
            lambda r: r.update(limits={"minutes_max": 600}),
            r"unknown keys \['limits'\] \(.*fluorocode\.domain\.limits\)",
        ),
        (lambda r: r["definitions"].update(lower="x"), "upper-case"),
    ],
)
def test_bad_documents_are_rejected_clearly(change: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PatternSet.from_dict(_broken(change))


def test_modifier_needs_direction_and_scope() -> None:
    def change(raw: dict[str, Any]) -> None:
        for p in raw["patterns"]:
            if p["category"] == "negation":
                del p["scope"]
                return

    with pytest.raises(ConfigError, match="needs direction and scope"):
        PatternSet.from_dict(_broken(change))


def test_value_patterns_need_their_groups() -> None:
    def change(raw: dict[str, Any]) -> None:
        for p in raw["patterns"]:
            if p["category"] == "time":
                p["regex"] = "fluoroscopy time"
                p.pop("starts", None)
                return

    with pytest.raises(ConfigError, match="named group"):
        PatternSet.from_dict(_broken(change))


def test_unknown_version() -> None:
    with pytest.raises(ConfigError, match="no packaged pattern set"):
        load_patterns("v999")
    with pytest.raises(ConfigError, match="look like"):
        load_patterns("../secrets")


def test_a_custom_set_is_used_when_given() -> None:
    raw = _raw()
    for p in raw["patterns"]:
        if p["id"] == "mention.c_arm":
            p["regex"] = r"\bO-arm\b"
            p["starts"] = ["o-arm"]
    custom = PatternSet.from_dict(raw)
    assert extract("The O-arm was used.", custom).fluoroscopy_used is True
    assert extract("The O-arm was used.").fluoroscopy_used is None


def _corpus(extra: list[str]) -> list[str]:
    return P.all_phrases() + extra


def check_search_hints(texts: list[str]) -> None:
    """Every pattern's starts/anchors promise holds on ``texts``.

    For each pattern, an unrestricted search of each text (dropping matches that cross
    a sentence boundary) must give exactly what the restricted search gives.
    """
    ps = load_patterns()
    for text in texts:
        for compiled in (c for cat in Category for c in ps.of(cat)):
            p = compiled.pattern
            if not (p.starts or p.anchors):
                continue
            scan = Scan(text)
            full = [
                (m.start(), m.end())
                for m in compiled.regex.finditer(text)
                if m.end() > m.start() and not scan.crosses_boundary(m.start(), m.end())
            ]
            restricted = [(h.start, h.end) for h in scan.find((compiled,))]
            assert restricted == full, (p.id, text[:80])
            for start, end in full:
                low = text[start:end].lower()
                if p.starts:
                    assert any(
                        text[start:end].startswith(s)
                        if s != s.lower()
                        else low.startswith(s)
                        for s in p.starts
                    ), (p.id, text[start:end])
                else:
                    assert any(
                        (a in text[start:end]) if a != a.lower() else (a in low)
                        for a in p.anchors
                    ), (p.id, text[start:end])


def test_search_hints_hold_on_the_test_phrases() -> None:
    check_search_hints(_corpus([]))


def test_no_regex_uses_unbounded_nested_repetition() -> None:
    # A cheap guard against catastrophic backtracking: "(...+)+" and "(...*)*" shapes.
    nested = re.compile(r"\((?:[^()]|\([^()]*\))*[+*]\)[+*]")
    for p in load_patterns().patterns:
        assert not nested.search(p.regex), p.id
