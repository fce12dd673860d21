"""The exit status of every ``gate`` command, in one place (interface.md section 3).

``gate scan`` (and ``gate submit --wait``) exit with the verdict: 0 pass, 1 warn, 2 block. Any command exits
3 when it could not run (bad usage, a missing or unreadable file, an unknown policy); an APK that cannot be
read is a verdict (block, PKG-UNREADABLE), not an exit 3. Ctrl-C exits 130, as a shell expects.

Exit 3 also covers: a command that may not create a store (list, status, rotate, ...) finding none
(gate.cli.locate), and ``gate serve`` unable to start (its port taken, its data directory served by another
gate, its web process dying at once again and again).
"""

from __future__ import annotations

from gate.errors import UsageError

PASS = 0
WARN = 1
BLOCK = 2
USAGE = 3
INTERRUPTED = 130

BY_VERDICT = {"pass": PASS, "warn": WARN, "block": BLOCK}

# the names the CLI used before it was a package, kept for callers
EXIT_USAGE = USAGE
EXIT_BY_VERDICT = BY_VERDICT

__all__ = ["BLOCK", "BY_VERDICT", "EXIT_BY_VERDICT", "EXIT_USAGE", "INTERRUPTED", "PASS", "USAGE", "WARN",
           "UsageError"]
