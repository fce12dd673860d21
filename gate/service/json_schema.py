"""gate/data/verdict.schema.json, generated from the marshmallow schemas of gate.service.schemas.

The marshmallow schemas are the one description of the verdict's JSON shape: apispec turns them into the
OpenAPI components of ``/openapi.json`` (gate.web.openapi) and, here, into the standalone JSON Schema that
ships for the stores' pipelines. ``tests/service/test_openapi.py`` regenerates it and compares it with the
committed file; after a change to the schemas run ``python -m gate.service.json_schema`` to rewrite it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gate.service import schemas

VERDICT_SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "verdict.schema.json"
_REF = "#/components/schemas/"


def components() -> dict[str, Any]:
    """Every schema of ``schemas.COMPONENTS`` as JSON Schema (OpenAPI 3.1 dialect), by component name."""
    api = APISpec(title="components", version="0", openapi_version="3.1.0", plugins=[MarshmallowPlugin()])
    for name, schema in schemas.COMPONENTS:
        api.components.schema(name, schema=schema)
    found: dict[str, Any] = api.to_dict()["components"]["schemas"]
    return found


def _rewrite(node: Any, used: set[str]) -> Any:
    """A copy of ``node`` with its component references pointed at ``$defs``; ``used`` collects their names."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                used.add(value[len(_REF):])
                out[key] = "#/$defs/" + value[len(_REF):]
            else:
                out[key] = _rewrite(value, used)
        return out
    if isinstance(node, list):
        return [_rewrite(item, used) for item in node]
    return node


def verdict_json_schema() -> dict[str, Any]:
    """The verdict contract (interface.md section 2) as a draft 2020-12 JSON Schema with its parts in $defs."""
    every = components()
    used: set[str] = set()
    top = _rewrite(every["Verdict"], used)
    defs: dict[str, Any] = {}
    while pending := sorted(used - set(defs)):
        for name in pending:
            defs[name] = _rewrite(every[name], used)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://listing-gate.invalid/schemas/verdict.json",
        "title": "Listing gate verdict",
        "description": "The verdict contract of interface.md section 2. Extra keys are allowed (fields are only "
                       "ever added). Generated from gate/service/schemas.py by gate/service/json_schema.py.",
        **top,
        "$defs": dict(sorted(defs.items())),
    }


def render() -> str:
    return json.dumps(verdict_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    VERDICT_SCHEMA_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {VERDICT_SCHEMA_PATH}")
