"""``gate tenants``: the stores that may submit builds, their secrets, tokens and policies."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gate.cli.connect import record as configured_record
from gate.cli.output import new_file, write
from gate.core import policy as policy_mod
from gate.errors import UsageError
from gate.record.repository import Record, RecordError
from gate.record.tenant import Tenant


def run(args: argparse.Namespace) -> int:
    out_file = getattr(args, "out", None)
    try:
        with configured_record(may_create=args.action == "add") as store:
            if args.action == "add" and args.if_missing and (existing := store.get_tenant(args.name)):
                write(json.dumps(_existing(existing, args), ensure_ascii=False, indent=2), None)
                return 0
            with new_file(out_file) as save:
                out = _tenants(store, args)
                save(json.dumps(out, ensure_ascii=False, indent=2))
    except RecordError as exc:
        raise UsageError(str(exc)) from None
    if out_file:
        print(f"gate: {out['tenant']}'s webhook secret and API token are in {out_file}, shown only this once",
              file=sys.stderr)
        public = {k: v for k, v in out.items() if k not in ("webhook_secret", "api_token")}
        write(json.dumps({**public, "credentials_file": out_file}, ensure_ascii=False, indent=2), None)
    return 0


def _existing(tenant: Tenant, args: argparse.Namespace) -> dict[str, Any]:
    """``add --if-missing`` on a store that exists: its public fields, and on stderr how to get credentials."""
    where = f" (in {args.out})" if args.out and Path(args.out).exists() else ""
    print(f"gate: tenant {tenant.name} exists already; its secret and token were shown when it was added"
          f"{where}. For new ones: gate tenants rotate {tenant.name} --out FILE", file=sys.stderr)
    if args.callback_url != tenant.callback_url:
        print(f"gate: note: its callback URL is {tenant.callback_url}, not {args.callback_url}; "
              "nothing was changed", file=sys.stderr)
    return {**tenant.public(), "existed": True}


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
