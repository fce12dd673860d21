"""Which store a command works on, found the same way by every command, and said on stderr.

A gate's state is its data directory (``GATE_DATA_DIR``, ``./var`` by default: the embedded Redis under
``redis/``, the record's SQLite file ``gate.db``, APKs in flight) and the services it names: ``REDIS_URL`` and
``DATABASE_URL`` when they are set. ``gate serve`` writes ``serve.json`` into the data directory (its pid,
its URL, the Redis and database URLs it uses) and a pointer to that directory under the user's state
directory, so a command run from another directory finds the running gate instead of silently starting an
empty store of its own.

Which data directory: ``GATE_DATA_DIR`` if set; else ``./var`` if it holds a store; else, when neither
``REDIS_URL`` nor ``DATABASE_URL`` names a store, the one gate running for this user (several: the command
asks which); else ``./var``, new. The Redis and database URLs: the environment's, else those of the gate
serving that directory, else the embedded ones of the directory.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gate.errors import UsageError

SERVE_FILE = "serve.json"
DEFAULT_DATA_DIR = "var"


@dataclass(frozen=True)
class Location:
    data_dir: Path  # absolute
    how: str  # why this directory: "GATE_DATA_DIR", "./var", "the running gate"
    redis_url: str | None  # None: the data directory's embedded Redis
    database_url: str
    serving: dict[str, Any] | None  # serve.json of the gate running on this directory
    exists: bool  # False: using it would create a new, empty store
    key_prefix: str | None = None  # the running gate's GATE_KEY_PREFIX, when the environment names none

    def env(self) -> dict[str, str]:
        """The environment that points the settings, the store and the record at this location."""
        out = {"GATE_DATA_DIR": str(self.data_dir), "DATABASE_URL": self.database_url}
        if self.redis_url:
            out["REDIS_URL"] = self.redis_url
        if self.key_prefix:
            out["GATE_KEY_PREFIX"] = self.key_prefix
        return out

    def describe(self) -> str:
        """One line for stderr: the data directory and why, the Redis, the record."""
        where = f"{self.data_dir} ({self.how})"
        if self.serving:
            where += f", served by gate pid {self.serving.get('pid')} at {self.serving.get('url')}"
        elif not self.exists:
            where += ", new"
        redis = redact(self.redis_url) if self.redis_url else f"embedded, under {self.data_dir / 'redis'}"
        return f"gate: store: {where}; Redis: {redis}; record: {redact(self.database_url)}"


def redact(url: str) -> str:
    """The URL without its password, fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def holds_store(data_dir: Path) -> bool:
    """Whether the directory holds a gate's state (or a gate is serving it)."""
    return (data_dir / "redis").is_dir() or (data_dir / "gate.db").exists() or (data_dir / SERVE_FILE).exists()


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs, and is a gate where the system says (a pid reused by another program is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: alive
    try:
        return b"gate" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid


def serving(data_dir: Path) -> dict[str, Any] | None:
    """serve.json of the gate serving ``data_dir``, if it is still running (a file left by a killed gate is
    ignored)."""
    try:
        info = json.loads((data_dir / SERVE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("pid"), int) or not pid_alive(info["pid"]):
        return None
    return info


def state_dir(env: Mapping[str, str]) -> Path:
    """Where running gates leave a pointer to their data directory: $XDG_STATE_HOME/listing-gate/serving."""
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return Path(base) / "listing-gate" / "serving"


def running_gates(env: Mapping[str, str]) -> list[dict[str, Any]]:
    """serve.json of every gate running for this user (pointers of stopped gates are removed)."""
    found = []
    for pointer in sorted(state_dir(env).glob("*.json")):
        try:
            data_dir = Path(json.loads(pointer.read_text(encoding="utf-8"))["data_dir"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        info = serving(data_dir)
        if info is None or pointer.stem != str(info["pid"]):
            pointer.unlink(missing_ok=True)
            continue
        found.append({**info, "data_dir": str(data_dir)})
    return found


def locate(env: Mapping[str, str] | None = None) -> Location:
    e = os.environ if env is None else env
    named = {k for k in ("GATE_DATA_DIR", "REDIS_URL", "DATABASE_URL") if (e.get(k) or "").strip()}
    if "GATE_DATA_DIR" in named:
        data_dir, how = Path(e["GATE_DATA_DIR"]), "GATE_DATA_DIR"
    else:
        data_dir, how = Path(DEFAULT_DATA_DIR), f"./{DEFAULT_DATA_DIR}"
        if not named and not holds_store(data_dir):
            gates = running_gates(e)
            if len(gates) > 1:
                listed = "; ".join(f"pid {g['pid']} at {g.get('url')}: GATE_DATA_DIR={g['data_dir']}" for g in gates)
                raise UsageError(f"no store in ./{DEFAULT_DATA_DIR} and {len(gates)} gates are running; say which "
                                 f"one with GATE_DATA_DIR ({listed})")
            if gates:
                data_dir, how = Path(gates[0]["data_dir"]), "the running gate"
    data_dir = data_dir.resolve()
    info = serving(data_dir)
    redis_url = (e.get("REDIS_URL") or "").strip() or (info or {}).get("redis_url") or None
    database_url = (e.get("DATABASE_URL") or "").strip() or (info or {}).get("database_url") or ""
    if not database_url:
        from gate.record.db import database_url as default_database_url

        database_url = default_database_url({"GATE_DATA_DIR": str(data_dir)})
    exists = bool(info) or holds_store(data_dir) or bool({"REDIS_URL", "DATABASE_URL"} & named)
    prefix = None if e.get("GATE_KEY_PREFIX") else (info or {}).get("key_prefix")
    return Location(data_dir, how, redis_url, database_url, info, exists, prefix)


def use(may_create: bool, env: Mapping[str, str] | None = None) -> Location:
    """Find the store, refuse a command that may not create one when there is none (a list or a status would
    only answer from a new, empty store), say on stderr which store it is, and point this process at it."""
    import sys

    location = locate(env)
    if not may_create and not location.exists:
        e = os.environ if env is None else env
        if location.how == "GATE_DATA_DIR":
            where = f"GATE_DATA_DIR={location.data_dir} holds none and no gate serves it"
        else:
            where = f"{location.data_dir} holds none and no gate is running for this user"
        gates = running_gates(e)
        hint = ("; gates running: " + "; ".join(f"GATE_DATA_DIR={g['data_dir']} (pid {g['pid']})" for g in gates)
                if gates else "; start one with `gate serve`, or set GATE_DATA_DIR to a gate's data directory")
        raise UsageError(f"no gate store found: {where}{hint}. Nothing was created")
    print(location.describe(), file=sys.stderr)
    os.environ.update(location.env())
    return location


def announce(data_dir: Path, info: dict[str, Any], env: Mapping[str, str] | None = None) -> list[Path]:
    """Write serve.json into the data directory and the user's pointer to it; the paths written, for
    ``withdraw``."""
    e = os.environ if env is None else env
    record = {**info, "pid": os.getpid(), "data_dir": str(data_dir), "started_at": time.time()}
    own = data_dir / SERVE_FILE
    _write_private(own, json.dumps(record, indent=2))  # it may name a database password
    written = [own]
    pointers = state_dir(e)
    try:
        pointers.mkdir(parents=True, exist_ok=True)
        pointer = pointers / f"{os.getpid()}.json"
        _write_private(pointer, json.dumps({"data_dir": str(data_dir)}))
        written.append(pointer)
    except OSError:
        pass  # no writable home: commands still find the gate through GATE_DATA_DIR or ./var
    return written


def withdraw(paths: list[Path]) -> None:
    """Remove what ``announce`` wrote, if it is still this process's."""
    for path in paths:
        try:
            if path.name == SERVE_FILE and json.loads(path.read_text(encoding="utf-8")).get("pid") != os.getpid():
                continue
            path.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    os.replace(tmp, path)
