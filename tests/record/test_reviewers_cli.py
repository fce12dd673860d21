"""`gate reviewers add|list|disable`: accounts in the record, the password from a file or stdin (never argv),
refusals with exit 3. Run as the real command in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gate.cli import exits
from gate.record.repository import Record
from tests.conftest import ROOT


def _gate(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["GATE_DATA_DIR"] = str(tmp_path)
    return subprocess.run([sys.executable, "-m", "gate.cli", "reviewers", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, input=stdin if stdin is not None else "", timeout=120)


def test_add_list_disable_with_passwords_from_stdin_and_file(tmp_path: Path) -> None:
    done = _gate(tmp_path, "add", "alice", "--role", "senior", stdin="correct horse\n")
    assert done.returncode == exits.PASS, done.stderr
    assert json.loads(done.stdout) == {"name": "alice", "role": "senior", "disabled": False}
    secret = tmp_path / "bob.pw"
    secret.write_text("battery staple\n", encoding="utf-8")
    assert _gate(tmp_path, "add", "bob", "--password-file", str(secret)).returncode == 0
    listed = json.loads(_gate(tmp_path, "list").stdout)["reviewers"]
    assert [(r["name"], r["role"], r["disabled"]) for r in listed] == [("alice", "senior", False),
                                                                       ("bob", "reviewer", False)]
    assert "correct horse" not in json.dumps(listed)
    record = Record.from_url(f"sqlite:///{tmp_path / 'gate.db'}")
    assert record.authenticate("alice", "correct horse") == {"name": "alice", "role": "senior"}
    assert record.authenticate("bob", "battery staple") == {"name": "bob", "role": "reviewer"}
    assert record.authenticate("bob", "battery stapl") is None
    assert _gate(tmp_path, "disable", "bob").returncode == 0
    assert record.authenticate("bob", "battery staple") is None
    assert [a["action"] for a in record.audit_log(subject_kind="reviewer")] == [
        "reviewer.add", "reviewer.add", "reviewer.disable"]
    record.engine.dispose()


def test_refusals_exit_3_and_change_nothing(tmp_path: Path) -> None:
    assert _gate(tmp_path, "add", "carol", stdin="").returncode == exits.USAGE  # no password at all
    short = _gate(tmp_path, "add", "carol", stdin="short\n")
    assert short.returncode == exits.USAGE and "8 characters" in short.stderr
    assert _gate(tmp_path, "add", "carol", "--role", "boss", stdin="long enough\n").returncode == exits.USAGE
    assert _gate(tmp_path, "add", "carol", "--password-file", str(tmp_path / "none")).returncode == exits.USAGE
    assert _gate(tmp_path, "add", "carol", "--password", "long enough").returncode == exits.USAGE  # no such flag
    assert _gate(tmp_path, "disable", "nobody").returncode == exits.USAGE
    assert json.loads(_gate(tmp_path, "list").stdout) == {"reviewers": []}
    assert _gate(tmp_path, "add", "carol", stdin="long enough\n").returncode == 0
    again = _gate(tmp_path, "add", "carol", stdin="other password\n")
    assert again.returncode == exits.USAGE and "already exists" in again.stderr
