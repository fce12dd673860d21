"""`gate submit`: sign and post one build to a running gate, as a store's pipeline would."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import requests

from gate.cli.exits import EXIT_BY_VERDICT, EXIT_USAGE
from gate.cli.inputs import input_file
from gate.errors import UsageError
from gate.service import webhook_signing


def run(args: argparse.Namespace) -> int:
    apk = input_file(args.apk, "an APK file")
    try:
        listing = json.loads(Path(args.listing).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read listing {args.listing}: {exc}") from None
    if args.wait and not args.token:
        raise UsageError("--wait needs --token (the tenant's API token) to read the status")
    metadata = json.dumps({"build": {"id": args.build_id or apk.name}, "listing": listing}, ensure_ascii=False)
    parts: dict[str, Any] = {"metadata": (None, metadata, "application/json"),
                             "apk": (apk.name, apk.read_bytes(), "application/vnd.android.package-archive")}
    prepared = requests.Request("POST", f"{args.url.rstrip('/')}/webhooks/v1/{args.tenant}/builds",
                                files=parts).prepare()
    body = prepared.body if isinstance(prepared.body, bytes) else str(prepared.body or "").encode()
    msg_id = args.webhook_id or f"msg_{secrets.token_hex(12)}"
    try:
        prepared.headers.update(webhook_signing.headers(args.secret, msg_id, body))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with requests.Session() as session:
        try:
            resp = session.send(prepared, timeout=120)
        except requests.RequestException as exc:
            raise UsageError(f"cannot reach {args.url}: {type(exc).__name__}") from None
        answer = resp.json() if resp.headers.get("content-type", "").endswith("json") else {"body": resp.text[:500]}
        print(json.dumps({"http_status": resp.status_code, "webhook_id": msg_id, **answer}, ensure_ascii=False,
                         indent=2))
        if resp.status_code != 202:
            return EXIT_USAGE
        if not args.wait:
            return 0
        deadline = time.monotonic() + args.timeout
        auth = {"authorization": f"Bearer {args.token}"}
        while time.monotonic() < deadline:
            status = session.get(answer["status_url"], headers=auth, timeout=30)
            doc = status.json()
            if status.status_code != 200:
                print(json.dumps(doc, ensure_ascii=False, indent=2), file=sys.stderr)
                return EXIT_USAGE
            if doc.get("status") in ("done", "failed"):
                print(json.dumps(doc, ensure_ascii=False, indent=2))
                return EXIT_BY_VERDICT.get(doc.get("verdict", ""), EXIT_USAGE)
            time.sleep(0.5)
    print(f"gate: no verdict within {args.timeout:g} s", file=sys.stderr)
    return EXIT_USAGE
