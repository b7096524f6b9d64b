"""``fluorocode extract``: what a note documents about fluoroscopy."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from fluorocode.api import extract_note
from fluorocode.cli._input import UnreadableInput
from fluorocode.cli._options import format_option
from fluorocode.errors import ExtractionError


@click.command("extract")
@click.argument("note", metavar="NOTE.txt")
@format_option("json", default="json")
def extract_command(note: str, fmt: str) -> None:
    """Read a note (or - for stdin; or a JSON array of {"id", "text"} objects).

    Example: fluorocode extract op-note.txt
    """
    data = sys.stdin.buffer.read() if note == "-" else _read(note)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExtractionError(f"{note}: not UTF-8 text (byte {exc.start})") from exc
    body: Any
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            notes = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise UnreadableInput(f"{note}: not valid JSON ({exc.msg})") from exc
        body = []
        for i, item in enumerate(notes):
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise UnreadableInput(f"{note}: item {i} needs a text string")
            body.append({"id": item.get("id"), **extract_note(item["text"])})
    else:
        body = extract_note(text)
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise UnreadableInput(f"cannot read {path}: {exc.strerror}") from exc
