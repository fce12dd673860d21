"""schemathesis against a running gate (gunicorn as `gate serve` runs it, a real worker, a real Redis):
every operation of /openapi.json, fuzzed from the schema, must never answer with a server error."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LISTINGS, fixture_apk
from tests.service.conftest import free_port, post_build, start_gunicorn

ADMIN = "operators-token-for-schemathesis"
CLI = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")


def _run(url: str, token: str, cwd: Path, *filters: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI or "schemathesis", "run", url, "--checks", "not_a_server_error", "--header",
         f"Authorization: Bearer {token}", "--max-examples", "25", "--generation-deterministic", *filters],
        cwd=cwd, capture_output=True, text=True, timeout=600)  # its cache goes to cwd, not the repository


@pytest.mark.skipif(CLI is None, reason="schemathesis is not installed (pip install -e '.[test]' installs it)")
def test_schemathesis_finds_no_server_error(settings, rt, tenant, client, workers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    # one real build, so that the store's API has something to list
    post_build(client, tenant, fixture_apk("clean"), json.loads((LISTINGS / "complete.json").read_text("utf-8")))
    workers.start()  # a worker, so /readyz answers 200 as in production
    port = free_port()
    web = start_gunicorn(settings, port, {"GATE_ADMIN_TOKEN": ADMIN})
    try:
        url = f"http://127.0.0.1:{port}/openapi.json"
        store = _run(url, tenant["token"], tmp_path, "--exclude-path-regex", "^/api/v1/admin")
        assert store.returncode == 0, store.stdout[-6000:] + store.stderr[-2000:]
        operators = _run(url, ADMIN, tmp_path, "--include-path-regex", "^/api/v1/admin")
        assert operators.returncode == 0, operators.stdout[-6000:] + operators.stderr[-2000:]
        for out, least in ((store.stdout, 8), (operators.stdout, 3)):  # operations actually exercised
            tested = re.search(r"Tested: (\d+)", out)
            generated = re.search(r"(\d+) generated", out)
            assert tested and int(tested.group(1)) >= least, out[-3000:]
            assert generated and int(generated.group(1)) > 100, out[-3000:]
    finally:
        web.terminate()
        web.wait(timeout=30)
        if web.stderr:
            web.stderr.close()
