"""Issue 8: what CI installs is pinned, and the pins cover every declared dependency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    name = re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_declared_dependency_is_pinned_exactly() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared = list(project["project"]["dependencies"])
    for extra in project["project"]["optional-dependencies"].values():
        declared += [r for r in extra if not r.startswith("fluorocode")]
    declared += project["dependency-groups"]["dev"]
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[_name(name)] = version
    missing = sorted({_name(r) for r in declared} - set(pins))
    assert not missing, f"run `make lock`: not pinned {missing}"


def test_the_makefile_installs_with_the_pins() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "-c constraints.txt" in makefile
