"""API keys: shown once, stored as salted hashes in a private file, revocable."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fluorocode.adapters import keys as keys_module
from fluorocode.adapters.keys import KeyStore
from fluorocode.cli import cli
from fluorocode.errors import ApiKeyError


def test_a_key_is_stored_only_as_a_salted_hash(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    token = store.create("scribe")
    assert token.startswith("fck_") and len(token) == 47
    raw = store.path.read_text()
    assert token not in raw and token[4:] not in raw
    [entry] = json.loads(raw)["keys"]
    assert set(entry) == {"name", "created", "scopes", "hint", "salt", "sha256"}
    assert store.path.stat().st_mode & 0o777 == 0o600
    assert store.verify(token).name == "scribe"  # type: ignore[union-attr]
    assert store.verify(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.verify("") is None
    second = store.create("other")
    assert entry["salt"] != json.loads(store.path.read_text())["keys"][1]["salt"]
    assert store.verify(second).name == "other"  # type: ignore[union-attr]


def test_names_scopes_and_revocation(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    token = store.create("admin", ("check", "audit"))
    assert store.list()[0].scopes == ("check", "audit")
    with pytest.raises(ApiKeyError, match="exists"):
        store.create("admin")
    for bad in ("", "-x", "a b", "x" * 65, "naïve"):
        with pytest.raises(ApiKeyError, match="not a key name"):
            store.create(bad)
    with pytest.raises(ApiKeyError, match="unknown scope"):
        store.create("x", ("root",))
    store.revoke("admin")
    assert store.verify(token) is None
    with pytest.raises(ApiKeyError, match="no key named"):
        store.revoke("admin")


def test_verify_looks_at_the_file_at_most_every_10_ms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stat per request was a GIL hand-off on the event loop (issue 11): verify
    trusts what it read for 10 ms, sees a revoke in this process at once and one by
    another process once that time is up."""
    store = KeyStore(tmp_path)
    token, other = store.create("scribe"), store.create("other")
    assert store.verify(token) is not None
    stats = []
    real_stat = keys_module.os.stat
    monkeypatch.setattr(
        keys_module.os, "stat", lambda p, *a, **k: stats.append(p) or real_stat(p)
    )
    for _ in range(100):
        assert store.verify(token) is not None
    assert len(stats) <= 10  # 100 checks of one file: a stat per 10 ms at most
    KeyStore(tmp_path).revoke("scribe")  # another store, this process: seen at once
    assert store.verify(token) is None
    assert store.verify(other) is not None
    # another process revokes: seen within the recheck interval
    subprocess.run(
        [sys.executable, "-m", "fluorocode", "keys", "revoke", "other",
         "--home", str(tmp_path)],
        check=True, capture_output=True,
    )  # fmt: skip
    time.sleep(0.02)
    assert store.verify(other) is None


def test_concurrent_creates_lose_no_key(tmp_path: Path) -> None:
    tokens: dict[str, str] = {}

    def make(i: int) -> None:
        tokens[f"k{i}"] = KeyStore(tmp_path).create(f"k{i}")

    threads = [threading.Thread(target=make, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = KeyStore(tmp_path)
    assert sorted(k.name for k in store.list()) == sorted(tokens)
    assert all(store.verify(t).name == n for n, t in tokens.items())  # type: ignore[union-attr]


def test_a_damaged_key_file_is_an_error_not_an_open_door(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.create("scribe")
    store.path.write_text("{not json")
    with pytest.raises(ApiKeyError, match="not a readable key file"):
        store.verify("fck_anything")


def test_the_keys_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(tmp_path)]
    made = runner.invoke(cli, ["keys", "create", "scribe", *home])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("fck_") and "\n" not in token
    assert "shown only this once" in made.stderr
    assert KeyStore(tmp_path).verify(token) is not None
    listed = runner.invoke(cli, ["keys", "list", *home])
    assert listed.stdout.startswith("scribe  ") and token not in listed.stdout
    as_json = json.loads(
        runner.invoke(cli, ["keys", "list", "--format", "json", *home]).stdout
    )
    assert as_json[0]["scopes"] == ["check"]
    admin = runner.invoke(cli, ["keys", "create", "admin", "--audit", *home])
    assert "check, audit" in admin.stderr
    assert runner.invoke(cli, ["keys", "revoke", "scribe", *home]).exit_code == 0
    assert KeyStore(tmp_path).verify(token) is None
    again = runner.invoke(cli, ["keys", "revoke", "scribe", *home])
    assert again.exit_code != 0
