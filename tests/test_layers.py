"""The core stays pure: analysing an APK never imports Flask, Redis or RQ."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_core_and_checks_import_no_web_or_queue_modules() -> None:
    code = (
        "import sys, gate.core.scan, gate.cli.main, gate.cli.render, checks\n"
        "checks.discover()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'redis', 'rq', 'webhooks', 'workers'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""
