"""`gate submit`: sign and post one build to a running gate, as a store's pipeline would.

Standard output is one JSON document: the gate's answer to the post (with ``http_status`` and ``webhook_id``),
or with ``--wait`` the decided build as ``GET /api/v1/builds/{id}`` answers it. Exit status as ``gate scan``:
0 pass (or accepted, without ``--wait``), 1 warn, 2 block; 3 refused, unreachable or no verdict in time.
"""

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
        answer = _json(resp)
        accepted = {"http_status": resp.status_code, "webhook_id": msg_id, **answer}
        if resp.status_code != 202 or not args.wait:
            print(json.dumps(accepted, ensure_ascii=False, indent=2))
            if resp.status_code != 202:
                print(f"gate: the gate refused the build (HTTP {resp.status_code}): "
                      f"{answer.get('detail', answer.get('body', ''))}", file=sys.stderr)
                return EXIT_USAGE
            return 0
        # --wait prints one document, the build as the API answers it once decided; the acceptance goes to
        # stderr, so standard output parses as JSON
        print(f"gate: accepted as {answer.get('build_id')} (webhook-id {msg_id}); waiting for the verdict",
              file=sys.stderr, flush=True)
        return _wait(session, str(answer["status_url"]), args.token, args.timeout)


def _json(resp: requests.Response) -> dict[str, Any]:
    if resp.headers.get("content-type", "").split(";")[0].strip().endswith("json"):
        try:
            doc = resp.json()
        except ValueError:
            pass
        else:
            if isinstance(doc, dict):
                return doc
    return {"body": resp.text[:500]}


def _wait(session: requests.Session, status_url: str, token: str, timeout: float) -> int:
    """Poll the build until it is decided; print it and exit with its verdict (as gate scan does)."""
    deadline = time.monotonic() + timeout
    auth = {"authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        try:
            status = session.get(status_url, headers=auth, timeout=30)
        except requests.RequestException as exc:
            raise UsageError(f"cannot reach {status_url}: {type(exc).__name__}") from None
        doc = _json(status)
        if status.status_code != 200:
            print(json.dumps({"http_status": status.status_code, **doc}, ensure_ascii=False, indent=2))
            return EXIT_USAGE
        if doc.get("status") in ("done", "failed"):
            print(json.dumps(doc, ensure_ascii=False, indent=2))
            return EXIT_BY_VERDICT.get(str(doc.get("verdict", "")), EXIT_USAGE)
        time.sleep(0.5)
    print(f"gate: no verdict within {timeout:g} s", file=sys.stderr)
    return EXIT_USAGE
