"""The rule catalogue (generated from the checks) and the reference tables shipped with the gate (``gate/data``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from gate.core.rules import Rule


def _load(name: str) -> Any:
    return json.loads(resources.files("gate.data").joinpath(name).read_text(encoding="utf-8"))


@cache
def rules() -> dict[str, Rule]:
    """Every rule of the catalogue, in catalogue order: generated from the checks' declarations (``RULE``),
    with the contract's rules no check implements yet marked planned."""
    return {row["id"]: Rule.from_dict(row, rank) for rank, row in enumerate(_load("rules.json")["rules"])}


@dataclass(frozen=True)
class PermissionInfo:
    name: str
    protection: str
    data_category: str | None
    also: tuple[str, ...] = ()
    restricted_on_play: bool = False


@cache
def permissions() -> dict[str, PermissionInfo]:
    table = _load("permissions.json")["permissions"]
    return {
        name: PermissionInfo(name=name, protection=row["protection"], data_category=row.get("data_category"),
                             also=tuple(row.get("also", ())),
                             restricted_on_play=bool(row.get("restricted_on_play", False)))
        for name, row in table.items()
    }


@dataclass(frozen=True)
class AppType:
    slug: str
    zh: str
    en: str
    number: int | None
    necessary: tuple[str, ...] | None
    forbidden_device_data: tuple[str, ...]


@cache
def app_types() -> dict[str, AppType]:
    """The 39 app types of the 2021 necessary-PI rules, plus ``other``."""
    out: dict[str, AppType] = {}
    for row in _load("categories.json")["categories"]:
        necessary = row.get("necessary")
        out[row["slug"]] = AppType(
            slug=row["slug"], zh=row["zh"], en=row["en"], number=row.get("number"),
            necessary=tuple(necessary) if necessary is not None else None,
            forbidden_device_data=tuple(row.get("forbidden_device_data") or ()),
        )
    return out
