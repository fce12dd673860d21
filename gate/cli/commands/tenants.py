"""``gate tenants``: the stores that may submit builds, their secrets, tokens and policies."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from gate.cli.connect import record as configured_record
from gate.cli.output import write
from gate.core import policy as policy_mod
from gate.errors import UsageError
from gate.record.repository import Record, RecordError


def run(args: argparse.Namespace) -> int:
    try:
        with configured_record() as record:
            out = _tenants(record, args)
    except RecordError as exc:
        raise UsageError(str(exc)) from None
    write(json.dumps(out, ensure_ascii=False, indent=2), None)
    return 0


def _tenants(store: Record, args: argparse.Namespace) -> dict[str, Any]:
    if args.action == "add":
        tenant, token = store.add_tenant(args.name, args.callback_url, args.allowed_host or (), args.policy)
        return {"tenant": tenant.name, "webhook_secret": tenant.secret, "api_token": token,
                "callback_url": tenant.callback_url, "allowed_hosts": tenant.allowed_hosts, "policy": tenant.policy}
    if args.action == "rotate":
        tenant, token = store.rotate_tenant(args.name)
        return {"tenant": tenant.name, "webhook_secret": tenant.secret, "api_token": token}
    if args.action == "policy":
        return _tenant_policy(store, args)
    return {"tenants": [t.public() for t in store.list_tenants()]}


def _tenant_policy(store: Record, args: argparse.Namespace) -> dict[str, Any]:
    """Switch a store to a policy pack and/or set its override; refused unless the result is a valid policy."""
    tenant = store.get_tenant(args.name)
    if tenant is None:
        raise UsageError(f"no tenant {args.name}")
    pack = args.pack or tenant.policy
    override = tenant.policy_override
    if args.clear_override:
        override = {}
    if args.override:
        try:
            override = json.loads(Path(args.override).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read override {args.override}: {exc}") from None
    try:
        base = policy_mod.load(pack or "cn-default")
        effective = policy_mod.with_override(base, override, tenant.name) if override else base
    except policy_mod.PolicyError as exc:
        raise UsageError(str(exc)) from None
    fields: dict[str, Any] = {"policy": pack, "policy_override": override}
    if args.allowed_host is not None:
        fields["allowed_hosts"] = sorted({h.lower() for h in args.allowed_host})
    if args.review_blocks is not None:
        fields["review_blocks"] = args.review_blocks == "yes"
    tenant = store.update_tenant(tenant.name, **fields)
    return {**tenant.public(), "effective_policy": {"name": effective.name, "version": effective.version}}
