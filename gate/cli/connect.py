"""The service side of the commands that need one: the configured record and Redis, a policy checked before
start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gate.core import policy as policy_mod
from gate.errors import UsageError
from gate.record.embedded import with_redis
from gate.record.repository import Record
from gate.record.store import Store
from gate.service.settings import Settings


@contextmanager
def store() -> Iterator[Store]:
    """The configured store: REDIS_URL, the running embedded Redis of the data directory, or a temporary
    embedded one started for this command and stopped after it."""
    settings, embedded = with_redis(Settings.from_env())
    try:
        yield Store.from_url(str(settings.redis_url), settings.key_prefix)
    finally:
        if embedded is not None:
            embedded.stop()


@contextmanager
def record() -> Iterator[Record]:
    """The configured record (DATABASE_URL, else the SQLite file under the data directory), its schema
    upgraded first as the service does at start."""
    from gate.service.runtime import open_record

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
