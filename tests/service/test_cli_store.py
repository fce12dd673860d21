"""The commands that use the store, as a newcomer runs them: the README walkthrough twice in a row, commands
run where no store is, credentials files that are never overwritten. Real processes, real Redis, real HTTP."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis

from tests.conftest import ROOT
from tests.service.conftest import CallbackServer, free_port, wait_ready

README = ROOT / "README.md"
BIN = Path(sys.executable).parent


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a newcomer's shell: no store named, the worktree's gate, a state directory of the
    test's own (so gates other tests run are not found)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "DATABASE_URL") and not k.startswith("GATE_")}
    env.update(PYTHONPATH=str(ROOT), XDG_STATE_HOME=str(tmp_path / "state"), PATH=f"{BIN}:{env.get('PATH', '')}")
    env.update(extra)
    return env


def gate(env: dict[str, str], cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gate.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def walkthrough(base: str, callback_url: str) -> str:
    """The shell block of the README's "Submit a build and read its verdict", pointed at this test's ports."""
    section = README.read_text(encoding="utf-8").split("### Submit a build and read its verdict", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    assert "http://127.0.0.1:8000" in block and "http://127.0.0.1:9000/gate-callback" in block
    return block.replace("http://127.0.0.1:9000/gate-callback", callback_url).replace("http://127.0.0.1:8000", base)


def json_documents(text: str) -> list[Any]:
    decoder, docs, at = json.JSONDecoder(), [], 0
    while (at := len(text) - len(text[at:].lstrip())) < len(text):
        doc, at = decoder.raw_decode(text, at)
        docs.append(doc)
    return docs


def test_the_readme_walkthrough_runs_twice_in_a_row(tmp_path: Path) -> None:
    work = tmp_path / "clone"
    work.mkdir()
    (work / "tests").symlink_to(ROOT / "tests")  # the walkthrough names the fixtures by relative path
    env = clean_env(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = subprocess.Popen([sys.executable, "-m", "gate.cli", "serve", "--port", str(port), "--workers", "1"],
                             env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    callbacks = CallbackServer().start()
    try:
        assert wait_ready(f"{base}/readyz"), "gate serve did not come up"
        script = walkthrough(base, callbacks.url)
        runs = [subprocess.run(["bash", "-e", "-c", script], env=env, cwd=work, capture_output=True, text=True,
                               timeout=240) for _ in range(2)]
        first, second = runs
        assert first.returncode == 0, first.stdout + first.stderr
        credentials = (work / "tenant.json").read_bytes()
        assert json.loads(credentials)["webhook_secret"].startswith("whsec_")
        assert stat.S_IMODE((work / "tenant.json").stat().st_mode) == 0o600
        assert second.returncode == 0, second.stdout + second.stderr
        assert (work / "tenant.json").read_bytes() == credentials  # the second run left the secrets alone
        assert "appstore-a exists already" in second.stderr and "gate tenants rotate appstore-a" in second.stderr
        builds = []
        for run in runs:
            # each command that used the store said which: the running gate's, found through ./var/serve.json
            assert f"gate: store: {work / 'var'} (./var), served by gate pid {serve.pid}" in run.stderr
            verdict, by_api = json_documents(run.stdout)[-2:]  # submit's one document (tee), then curl's
            assert verdict["status"] == "done" and verdict["verdict"] == "warn"
            assert by_api["build_id"] == verdict["build_id"]
            builds.append(verdict["build_id"])
        assert builds[0] != builds[1]
        assert json.loads((work / "verdict.json").read_text(encoding="utf-8"))["build_id"] == builds[1]
        assert len(callbacks.wait_for(2)) == 2

        # a second gate on the same data directory, or on the same port: refused at once, nothing started
        again = gate(env, work, "serve", "--port", str(free_port()), timeout=60)
        assert again.returncode == 3 and f"a gate is already serving {work / 'var'}" in again.stderr
        other = gate(clean_env(tmp_path, GATE_DATA_DIR=str(tmp_path / "other")), work, "serve", "--port",
                     str(port), timeout=60)
        assert other.returncode == 3, other.stdout + other.stderr
        assert f"port {port} on 127.0.0.1 is in use by another gate (pid {serve.pid}" in other.stderr
        assert not (tmp_path / "other" / "redis").exists()

        # from another directory, the one running gate is found
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        listed = gate(env, elsewhere, "tenants", "list")
        assert listed.returncode == 0, listed.stderr
        assert [t["tenant"] for t in json.loads(listed.stdout)["tenants"]] == ["appstore-a"]
        assert f"{work / 'var'} (the running gate)" in listed.stderr
        assert not (elsewhere / "var").exists()
    finally:
        callbacks.stop()
        os.killpg(serve.pid, signal.SIGTERM)
        out, _ = serve.communicate(timeout=60)
    assert serve.returncode == 0, out.decode(errors="replace")[-2000:]
    assert not (work / "var" / "serve.json").exists()  # withdrawn when the gate stopped
    assert not list((tmp_path / "state").rglob("*.json"))


def test_commands_that_only_read_never_create_a_store(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for named in ({}, {"GATE_DATA_DIR": str(tmp_path / "nowhere")}):
        env = clean_env(tmp_path, **named)
        for args in (["tenants", "list"], ["status"], ["delist", "list"], ["tenants", "rotate", "x"],
                     ["tenants", "policy", "x", "--pack", "strict"], ["delist", "remove", "com.x"]):
            out = gate(env, empty, *args)
            assert out.returncode == 3, (args, out.stdout, out.stderr)
            assert "no gate store found" in out.stderr and "Nothing was created" in out.stderr
            assert "Traceback" not in out.stderr and out.stdout == ""
        assert not (empty / "var").exists() and not (tmp_path / "nowhere").exists()
    # a command that adds something starts the store, and says it is new; then the others find it
    env = clean_env(tmp_path)
    added = gate(env, empty, "delist", "add", "com.bad.app", "--notice", "test notice")
    assert added.returncode == 0, added.stderr
    assert f"gate: store: {empty / 'var'} (./var), new; Redis: embedded" in added.stderr
    listed = gate(env, empty, "delist", "list")
    assert listed.returncode == 0, listed.stderr
    assert [e["package"] for e in json.loads(listed.stdout)["delisted"]] == ["com.bad.app"]
    assert ", new;" not in listed.stderr


def test_credentials_files_are_never_overwritten(tmp_path: Path, redis_url: str) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    env = clean_env(tmp_path, REDIS_URL=redis_url)
    keep = tmp_path / "keep.json"
    keep.write_text("the only copy of an earlier secret\n", encoding="utf-8")
    refused = gate(env, tmp_path, "tenants", "add", "store-b", "--callback-url", "http://127.0.0.1:9/cb",
                   "--out", str(keep))
    assert refused.returncode == 3 and f"{keep} already exists; not overwriting it" in refused.stderr
    assert keep.read_text(encoding="utf-8") == "the only copy of an earlier secret\n"
    listed = gate(env, tmp_path, "tenants", "list")
    assert json.loads(listed.stdout)["tenants"] == []  # refused before any secret was made
    assert f"Redis: {redis_url}" in listed.stderr

    creds = tmp_path / "creds.json"
    added = gate(env, tmp_path, "tenants", "add", "store-b", "--callback-url", "http://127.0.0.1:9/cb",
                 "--out", str(creds))
    assert added.returncode == 0, added.stderr
    secret = json.loads(creds.read_text(encoding="utf-8"))["webhook_secret"]
    assert secret.startswith("whsec_") and secret not in added.stdout
    assert json.loads(added.stdout)["credentials_file"] == str(creds)

    # the store exists: without --if-missing an error, and the file it would have written is not left behind
    again = gate(env, tmp_path, "tenants", "add", "store-b", "--callback-url", "http://127.0.0.1:9/cb",
                 "--out", str(tmp_path / "again.json"))
    assert again.returncode == 3 and "already exists" in again.stderr
    assert not (tmp_path / "again.json").exists()
    # with --if-missing: its public fields, no secret, and how to rotate
    kept = gate(env, tmp_path, "tenants", "add", "store-b", "--callback-url", "http://127.0.0.1:8/other",
                "--if-missing", "--out", str(creds))
    assert kept.returncode == 0, kept.stderr
    doc = json.loads(kept.stdout)
    assert doc["tenant"] == "store-b" and doc["existed"] is True and "webhook_secret" not in doc
    assert "gate tenants rotate store-b --out FILE" in kept.stderr and f"(in {creds})" in kept.stderr
    assert "its callback URL is http://127.0.0.1:9/cb, not http://127.0.0.1:8/other" in kept.stderr
    assert json.loads(creds.read_text(encoding="utf-8"))["webhook_secret"] == secret

    rotated = tmp_path / "rotated.json"
    assert gate(env, tmp_path, "tenants", "rotate", "store-b", "--out", str(creds)).returncode == 3
    assert gate(env, tmp_path, "tenants", "rotate", "store-b", "--out", str(rotated)).returncode == 0
    assert json.loads(rotated.read_text(encoding="utf-8"))["webhook_secret"] not in (secret, "")
