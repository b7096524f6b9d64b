"""Issue 8: the policy data is read as strictly as the extraction patterns."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from typing import Any

import pytest

from fluorocode.rules import base
from fluorocode.rules.policy import PolicyDataError, fluoro_policy, parse_policy


def packaged() -> dict[str, Any]:
    text = resources.files("fluorocode.rules.policy").joinpath("fluoroscopy.toml")
    return tomllib.loads(text.read_text("utf-8"))


def test_the_packaged_policy_loads() -> None:
    policy = fluoro_policy()
    assert policy.integral_family("29880") is not None
    assert "27096" in policy.imaging_included.members


@pytest.mark.parametrize(
    ("where", "edit", "named"),
    [
        (
            "a misspelt family key",
            lambda d: d["integral"][1].update(rangez=[]),
            "integral[1]",
        ),
        ("an unknown top-level key", lambda d: d.update(extra=1), "the document"),
        ("a missing source", lambda d: d["integral"][2].pop("source"), "integral[2]"),
        (
            "an unknown guidance key",
            lambda d: d["guidance"]["77002"].update(x=1),
            "77002",
        ),
        (
            "a deleted code's typo",
            lambda d: d["deleted"][0].update(replacment="x"),
            "deleted[0]",
        ),
        ("an empty family", lambda d: d["integral"][3].pop("ranges"), "integral[3]"),
        (
            "same_as beside codes",
            lambda d: d["integral"][0].update(codes=["11111"]),
            "integral[0]",
        ),
    ],
)
def test_a_policy_file_with_a_wrong_key_is_refused_naming_the_entry(
    where: str, edit: Any, named: str
) -> None:
    doc = copy.deepcopy(packaged())
    edit(doc)
    with pytest.raises(PolicyDataError) as caught:
        parse_policy(doc)
    assert named in str(caught.value), where


def test_a_misspelt_key_no_longer_empties_a_family_silently() -> None:
    doc = copy.deepcopy(packaged())
    doc["integral"][1]["rangez"] = doc["integral"][1].pop("ranges")
    with pytest.raises(PolicyDataError, match="unknown keys \\['rangez'\\]"):
        parse_policy(doc)


def test_the_guidance_codes_are_listed_once() -> None:
    doc = packaged()
    policy = fluoro_policy()
    assert base.guidance_codes() == set(doc["guidance"]) == {"77001", "77002", "77003"}
    # the PC/TC split and the imaging-guided family are derived, not copied
    assert policy.pctc_builtin == {"76000"} | base.guidance_codes()
    assert policy.integral[0].members is policy.imaging_included.members
    assert "77001" not in str(doc["pctc_builtin"]["codes"])
