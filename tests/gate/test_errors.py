"""One error family: every exception class the gate defines derives from gate.errors.GateError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import gate
import webhooks
import workers
from gate.errors import GateError

# Not errors of the gate's own: an HTTP answer raised to unwind a Flask view, and a reader's internal
# signal (caught inside its module, never seen outside it).
NOT_ERRORS = {"gate.web.problems.Problem", "gate.apk.apksig._Malformed", "gate.core.runner.CheckTimeout"}


def _modules() -> list[str]:
    names = []
    for package in (gate, webhooks, workers):
        names.append(package.__name__)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
                  # __main__ runs the command; a migration's env runs only inside Alembic
                  if not m.name.endswith(".__main__") and ".migrations" not in m.name]
    return names


def test_every_exception_the_gate_defines_is_a_gate_error() -> None:
    outside = []
    for name in _modules():
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            qualified = f"{cls.__module__}.{cls_name}"
            if cls.__module__ == name and issubclass(cls, BaseException) and qualified not in NOT_ERRORS:
                if not issubclass(cls, GateError):
                    outside.append(qualified)
    assert outside == []


def test_the_errors_stay_importable_where_they_were_and_value_errors_stay_value_errors() -> None:
    from gate.core.listing import ListingError
    from gate.core.policy import PolicyError
    from gate.defaults import LimitError
    from gate.record.store import StoreError

    for cls in (ListingError, PolicyError, LimitError, StoreError):
        assert issubclass(cls, GateError) and issubclass(cls, ValueError)
