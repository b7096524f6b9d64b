"""Generate docs/rules.md (from rule docstrings) and docs/cli.md (from --help).

Run ``python tools/gen_docs.py`` after changing a rule or a command;
``tests/test_docs.py`` fails while the committed pages differ from what this writes.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from fluorocode.cli import cli
from fluorocode.rules.engine import RULES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def rules_page() -> str:
    out = [
        "# Rules",
        "",
        "Generated from the rule modules' docstrings by `tools/gen_docs.py`; each "
        "docstring is the rule's spec. Rules run in this order.",
        "",
    ]
    for rule in RULES:
        module = sys.modules[type(rule).__module__]
        doc = inspect.cleandoc(module.__doc__ or "")
        out += [
            f"## {rule.code} `{rule.name}`",
            "",
            "Finding ids: " + ", ".join(f"`{e}`" for e in rule.emits),
            "",
            doc,
            "",
        ]
    return "\n".join(out)


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    out = []
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):  # the CLI loads commands lazily
        command = group.get_command(ctx, name)
        assert command is not None, name
        out.append([*prefix, name])
        if isinstance(command, click.Group):
            out += _commands(command, [*prefix, name])
    return out


def cli_page() -> str:
    runner = CliRunner()
    out = ["# Command line", "", "Generated from `--help` by `tools/gen_docs.py`.", ""]
    for path in [[], *_commands(cli, [])]:
        result = runner.invoke(cli, [*path, "--help"], prog_name="fluorocode")
        out += [
            f"## fluorocode {' '.join(path)}".rstrip(),
            "",
            "```",
            result.output.rstrip(),
            "```",
            "",
        ]
    return "\n".join(out)


def main() -> None:
    (DOCS / "rules.md").write_text(rules_page(), encoding="utf-8")
    (DOCS / "cli.md").write_text(cli_page(), encoding="utf-8")


if __name__ == "__main__":
    main()
