"""``gate rules``: every rule with its outcome under a policy, and whether it is implemented yet."""

from __future__ import annotations

import argparse
import json

from checks import implemented_rules
from gate import __version__
from gate.cli.output import write
from gate.core import policy as policy_mod
from gate.core import reference
from gate.errors import UsageError


def run(args: argparse.Namespace) -> int:
    try:
        policy = policy_mod.load(args.policy)
    except policy_mod.PolicyError as exc:
        raise UsageError(str(exc)) from None
    implemented = implemented_rules()
    rows = [
        {"id": r.id, "family": r.family, "title": r.title, "outcome": policy.outcome_for(r.id),
         "implemented": r.id in implemented, "references": list(r.references), "fires_when": r.fires_when}
        for r in reference.rules().values()
    ]
    if args.format == "json":
        doc = {"policy": {"name": policy.name, "version": policy.version}, "gate_version": __version__,
               "rules": rows}
        write(json.dumps(doc, ensure_ascii=False, indent=2), None)
        return 0
    width = max(len(str(r["id"])) for r in rows)
    lines = [f"Rules under policy {policy.name} ({policy.version}):", ""]
    for r in rows:
        state = "" if r["implemented"] else "  (not implemented yet)"
        lines.append(f"  {r['id']:<{width}}  {r['outcome']:<5}  {r['title']}{state}")
    missing = sum(1 for r in rows if not r["implemented"])
    lines += ["", f"{len(rows)} rules, {len(rows) - missing} implemented, {missing} not yet."]
    write("\n".join(lines), None)
    return 0
