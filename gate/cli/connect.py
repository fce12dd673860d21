"""The service side of the commands that need one: the configured record and Redis, a policy checked before
start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gate.cli import locate
from gate.core import policy as policy_mod
from gate.errors import UsageError
from gate.record.embedded import with_redis
from gate.record.repository import Record
from gate.record.store import Store
from gate.service.settings import Settings


@contextmanager
def store(*, may_create: bool) -> Iterator[Store]:
    """The store found by ``gate.cli.locate`` (named on stderr): REDIS_URL, the Redis of the gate serving the
    data directory, or the directory's embedded Redis, started for this command and stopped after it. Only a
    command that adds something (``may_create``) starts a new store where there is none; the others (list,
    status, rotate, ...) refuse, since they could only answer from an empty one."""
    locate.use(may_create)
    settings, embedded = with_redis(Settings.from_env())
    try:
        yield Store.from_url(str(settings.redis_url), settings.key_prefix)
    finally:
        if embedded is not None:
            embedded.stop()


@contextmanager
def record(*, may_create: bool, located: bool = False) -> Iterator[Record]:
    """The configured record (DATABASE_URL, else the SQLite file under the data directory) of the store found
    by ``gate.cli.locate``, its schema upgraded first as the service does at start. As for ``store``, only a
    command that adds something may start a new one; ``located``: the command found it already (through
    ``store``), so it is not looked for, nor named, twice."""
    from gate.service.runtime import open_record

    if not located:
        locate.use(may_create)
    opened = open_record(Settings.from_env(redis_url=None))
    try:
        yield opened
    finally:
        opened.engine.dispose()


def check_policy(name: str) -> None:
    """Refuse to start with a policy that does not load: the error names the file, line and reason."""
    try:
        policy_mod.load(name)
    except policy_mod.PolicyError as exc:
        raise UsageError(f"cannot start: {exc}") from None
