"""Separate hosts on one machine, for tests of what crosses a network: each host is a network namespace with
an address of its own on a bridge the test makes (``10.251.N.0/24``, the test's own process being ``.1``), and
its processes are started inside it with ``ip netns exec``. Hosts share the file system, as machines sharing the
gate's data directory over NFS would.

Needs root, iproute2 and a kernel that allows network namespaces; :func:`why_not` says what is missing.
Everything made here is named after the test's process id, so the leftovers of a test that was itself killed
are removed by the next run (:func:`remove_leftovers`) and never those of a run still going.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

PREFIX = "gate-mh"
BRIDGE_PREFIX = "gmhb"  # interface names have at most 15 characters


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def why_not() -> str | None:
    """Why this machine cannot make test hosts, or None when it can."""
    if os.name != "posix" or os.geteuid() != 0:
        return "making network namespaces needs root"
    if shutil.which("ip") is None:
        return "no `ip` command (Debian package iproute2)"
    probe = f"{PREFIX}-{os.getpid()}-probe"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip() or made.returncode}"
    try:
        bridge = f"{BRIDGE_PREFIX}{os.getpid()}p"
        link = _ip("link", "add", bridge, "type", "bridge", check=False)
        if link.returncode != 0:
            return f"`ip link add ... type bridge` failed: {link.stderr.strip()}"
        _ip("link", "del", bridge, check=False)
    finally:
        _ip("netns", "del", probe, check=False)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers() -> None:
    """Namespaces and bridges of earlier runs whose test process is gone (killed before it could clean up)."""
    for line in _ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(rf"{PREFIX}-(\d+)-[\w-]+", name)
        if m and not _alive(int(m.group(1))):
            _kill_namespace(name, signal.SIGKILL, wait_s=5)
            _ip("netns", "del", name, check=False)
    for m in re.finditer(rf"^\d+: ({BRIDGE_PREFIX}(\d+)\w*)[:@]", _ip("-o", "link", "show", check=False).stdout,
                         re.MULTILINE):
        if not _alive(int(m.group(2))):
            _ip("link", "del", m.group(1), check=False)
    for d in Path(tempfile.gettempdir()).glob(f"{PREFIX}-*"):
        m = re.fullmatch(rf"{PREFIX}-(\d+)-.*", d.name)
        if m and not _alive(int(m.group(1))):
            shutil.rmtree(d, ignore_errors=True)


def private_dir(role: str) -> Path:
    """A directory outside the test's root-only tmp_path (PostgreSQL runs unprivileged), removed by
    :func:`remove_leftovers` once this process is gone if the test could not remove it itself."""
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}-{os.getpid()}-{role}-"))


def namespace_pids(ns: str) -> list[int]:
    out = _ip("netns", "pids", ns, check=False).stdout
    return [int(p) for p in out.split() if p.isdigit()]


def _kill_namespace(ns: str, sig: signal.Signals, wait_s: float) -> list[int]:
    """Send ``sig`` to every process in ``ns`` until none is left (or ``wait_s`` passes). Returns what it hit."""
    hit: list[int] = []
    deadline = time.monotonic() + wait_s
    while True:
        pids = namespace_pids(ns)
        if not pids or time.monotonic() > deadline:
            return hit
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
                hit.append(pid)
        time.sleep(0.1)


def _free_subnet() -> str:
    """A 10.251.N.0/24 that no interface or route of this machine uses."""
    used = _ip("-4", "addr", check=False).stdout + _ip("-4", "route", check=False).stdout
    start = os.getpid() % 250
    for i in range(250):
        n = (start + i) % 250 + 1
        if f"10.251.{n}." not in used:
            return f"10.251.{n}"
    raise RuntimeError("no free 10.251.N.0/24 subnet for the test hosts")


class Host:
    """One machine: a network namespace with one interface on the network's bridge."""

    def __init__(self, network: Network, role: str, address: str, outer: str) -> None:
        self.network = network
        self.role = role
        self.ns = f"{PREFIX}-{os.getpid()}-{role}"
        self.address = address
        self.outer = outer  # the veth end on the bridge, in the test's namespace
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self, argv: list[str], env: dict[str, str], name: str, cwd: Path | None = None
              ) -> subprocess.Popen[bytes]:
        """Start ``argv`` on this host, its output in a log file named after ``name``."""
        log = self.network.log_dir / f"{self.role}-{name}.log"
        self.logs.append(log)
        out: IO[bytes] = log.open("ab")
        try:
            proc = subprocess.Popen(["ip", "netns", "exec", self.ns, *argv], env=env, cwd=cwd, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            out.close()
        self.procs.append(proc)
        return proc

    def run(self, argv: list[str], env: dict[str, str], cwd: Path | None = None, timeout_s: float = 120
            ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` on this host to its end."""
        return subprocess.run(["ip", "netns", "exec", self.ns, *argv], env=env, cwd=cwd, capture_output=True,
                              text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)

    def pids(self) -> list[int]:
        return namespace_pids(self.ns)

    def power_off(self) -> list[int]:
        """The machine dies: its network goes first (so no peer hears a FIN or a reset, as when power is cut),
        then every process in it is SIGKILLed. Returns the process ids killed."""
        _ip("link", "set", self.outer, "down")
        hit = _kill_namespace(self.ns, signal.SIGKILL, wait_s=10)
        assert not self.pids(), f"processes outlived SIGKILL on {self.role}: {self.pids()}"
        self._reap()
        return hit

    def stop(self, sig: signal.Signals = signal.SIGTERM, wait_s: float = 10) -> None:
        """Stop everything on the host: ``sig``, then SIGKILL for what is left after ``wait_s``."""
        _kill_namespace(self.ns, sig, wait_s=wait_s)
        _kill_namespace(self.ns, signal.SIGKILL, wait_s=5)
        self._reap()

    def _reap(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)

    def log_tail(self, chars: int = 3000) -> str:
        parts = []
        for log in self.logs:
            text = log.read_text(errors="replace") if log.exists() else ""
            parts.append(f"--- {log.name}\n{text[-chars:]}")
        return "\n".join(parts)


class Network:
    """A bridge in the test's namespace with hosts attached; the test's own process is ``.1`` on it."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.subnet = _free_subnet()
        self.address = f"{self.subnet}.1"
        self.bridge = f"{BRIDGE_PREFIX}{os.getpid()}"
        self.hosts: list[Host] = []
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.address}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")

    def add(self, role: str, last_octet: int) -> Host:
        host = Host(self, role, f"{self.subnet}.{last_octet}", outer=f"{BRIDGE_PREFIX}{os.getpid()}{role[0]}"
                    f"{len(self.hosts)}")
        self.hosts.append(host)  # before it exists, so close() removes a half-made host too
        _ip("netns", "add", host.ns)
        _ip("link", "add", host.outer, "type", "veth", "peer", "name", "eth0", "netns", host.ns)
        _ip("link", "set", host.outer, "master", self.bridge, "up")
        _ip("-n", host.ns, "addr", "add", f"{host.address}/24", "dev", "eth0")
        _ip("-n", host.ns, "link", "set", "eth0", "up")
        _ip("-n", host.ns, "link", "set", "lo", "up")
        return host

    def close(self) -> None:
        """Stop every host's processes and remove the namespaces and the bridge (also after a failure)."""
        for host in reversed(self.hosts):  # databases (added first) last: the others may still be writing
            with contextlib.suppress(Exception):
                host.stop(wait_s=5)
            _ip("netns", "del", host.ns, check=False)
            _ip("link", "del", host.outer, check=False)
        _ip("link", "del", self.bridge, check=False)


def postgres_bin() -> Path | None:
    """The directory with Debian's (or a PATH's) initdb, postgres and pg_ctl; None when there is none."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name, reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    for d in candidates:
        if all((d / b).is_file() for b in ("initdb", "postgres", "pg_ctl")):
            return d
    return None


def service_user() -> str | None:
    """The unprivileged account PostgreSQL runs as (it refuses root): ``postgres``, else ``nobody``."""
    import pwd

    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return None


def wait_for(what: str, ready: Callable[[], object], timeout_s: float, host: Host) -> None:
    """Poll ``ready()`` (a callable returning a truthy value or raising) until it holds."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except Exception as exc:  # noqa: BLE001 - not up yet, whatever the client says
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"{what} on {host.role} did not come up ({last!r})\n{host.log_tail()}")


def start_redis(host: Host, binary: str, data_dir: Path, port: int = 6379) -> str:
    """A redis-server on ``host``'s address, persisting as the deployment does (AOF, fsync always)."""
    import redis

    data_dir.mkdir(parents=True, exist_ok=True)
    host.start([binary, "--bind", host.address, "--port", str(port), "--dir", str(data_dir), "--appendonly", "yes",
                "--appendfsync", "always", "--save", "", "--protected-mode", "no", "--daemonize", "no"],
               dict(os.environ), "redis")
    url = f"redis://{host.address}:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    wait_for("redis-server", client.ping, 20, host)
    client.close()
    return url


def start_postgres(host: Host, bin_dir: Path, user: str, base: Path, network: Network, port: int = 5432) -> str:
    """A PostgreSQL of the test's own on ``host``: initdb into ``base`` (a directory ``user`` can own), trust
    auth for the test network, a database ``gate``. Returns its URL."""
    import psycopg

    data = base / "data"
    shutil.chown(base, user)
    os.chmod(base, 0o700)
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    made = subprocess.run(["runuser", "-u", user, "--", str(bin_dir / "initdb"), "-D", str(data), "--auth=trust",
                           "-U", "postgres", "-E", "UTF8", "--no-sync"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, f"initdb failed: {made.stderr[-2000:]}"
    with (data / "pg_hba.conf").open("a") as hba:
        hba.write(f"host all all {network.subnet}.0/24 trust\n")
    host.start(["runuser", "-u", user, "--", str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
                "-c", f"listen_addresses={host.address}", "-c", f"unix_socket_directories={base}",
                "-c", "fsync=off", "-c", "shared_buffers=32MB", "-c", "max_connections=100"], env, "postgres")
    admin = f"postgresql://postgres@{host.address}:{port}/postgres"

    def _connects() -> bool:
        with psycopg.connect(admin, connect_timeout=2):
            return True

    wait_for("postgres", _connects, 60, host)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE gate")
    return f"postgresql://postgres@{host.address}:{port}/gate"


def stop_postgres(host: Host, bin_dir: Path, user: str, base: Path) -> None:
    """A fast shutdown, so the server removes its shared memory (a SIGKILLed postmaster would leave it)."""
    if (base / "data" / "postmaster.pid").exists():
        host.run(["runuser", "-u", user, "--", str(bin_dir / "pg_ctl"), "stop", "-D", str(base / "data"),
                  "-m", "fast", "-w", "-t", "20"], dict(os.environ), timeout_s=30)
