"""Docs are generated and current: every rule and every command is documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fluorocode.rules.engine import RULES

REPO = Path(__file__).resolve().parent.parent


def _gen():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "gen_docs", REPO / "tools" / "gen_docs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rules_page_is_current() -> None:
    assert (REPO / "docs" / "rules.md").read_text() == _gen().rules_page(), (
        "run: python tools/gen_docs.py"
    )


def test_cli_page_is_current() -> None:
    assert (REPO / "docs" / "cli.md").read_text() == _gen().cli_page(), (
        "run: python tools/gen_docs.py"
    )


def test_every_rule_docstring_has_the_spec_sections() -> None:
    import sys

    for rule in RULES:
        doc = sys.modules[type(rule).__module__].__doc__ or ""
        for section in (
            "**Policy source:**",
            "**Fails when:**",
            "**Passes when:**",
            "**Bypass:**",
            "**Evidence emitted:**",
        ):
            assert section in doc, f"{rule.code} docstring lacks {section}"


def test_every_contract_rule_id_is_emitted_by_a_rule() -> None:
    contract_ids = {
        "ptp.bundled",
        "ptp.modifier-required",
        "ptp.bypassed",
        "fluoro.integral",
        "fluoro.documentation-missing",
        "fluoro.documentation-invalid",
        "fluoro.modifier-26",
        "fluoro.code-deleted",
        "fluoro.guidance-code",
        "fluoro.not-separately-billable",
        "fluoro.separately-billable-missing",
        "mue.exceeded",
        "aoc.primary-missing",
        "edition.demo",
    }
    emitted = {e for rule in RULES for e in rule.emits}
    assert contract_ids <= emitted
