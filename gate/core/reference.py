"""The rule catalogue and the reference tables shipped with the gate (``gate/data``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    title: str
    fires_when: str
    references: tuple[str, ...]
    cn_default: str
    escalates_to: str | None = None
    added: bool = False
    title_zh: str = ""


def _load(name: str) -> Any:
    return json.loads(resources.files("gate.data").joinpath(name).read_text(encoding="utf-8"))


@cache
def rules() -> dict[str, Rule]:
    """Every rule id of the contract (rules.md), in catalogue order."""
    out: dict[str, Rule] = {}
    for row in _load("rules.json")["rules"]:
        out[row["id"]] = Rule(
            id=row["id"], family=row["family"], title=row["title"], fires_when=row["fires_when"],
            references=tuple(row["references"]), cn_default=row["cn_default"],
            escalates_to=row.get("escalates_to"), added=bool(row.get("added", False)),
            title_zh=row.get("title_zh", ""),
        )
    return out


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
