"""RFC 9457 problem details: every error the service returns is a problem+json document."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from flask import Response

TITLES = {400: "Bad request", 401: "Unauthorized", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 411: "Length required", 413: "Content too large", 415: "Unsupported media type",
          422: "Unprocessable content", 429: "Too many requests", 500: "Internal error",
          503: "Service unavailable"}


class Problem(Exception):
    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra

    def response(self) -> Response:
        return problem(self.status, self.detail, **self.extra)


def problem(status: int, detail: str, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update(extra)
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="listing-gate"'
    return resp


RETRY_AFTER_S = 5


def unavailable(detail: str, retry_after_s: int = RETRY_AFTER_S) -> Response:
    """503 with Retry-After: a dependency (Redis) is down for now; the same request later will do."""
    resp = problem(503, detail)
    resp.headers["Retry-After"] = str(retry_after_s)
    return resp


# JSON a store sends is a few levels deep; a body nested deeper is refused before it is parsed (the parser
# recurses: 100,000 levels would raise RecursionError deep inside it).
MAX_JSON_DEPTH = 64
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (strings ignored), or MAX_JSON_DEPTH when there are too
    few brackets to exceed it; cheap, no parsing."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:  # the usual body: nothing to walk
        return MAX_JSON_DEPTH
    brackets = re.sub(r"[^\[\]{}]+", "", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(accumulate(1 if c in "[{" else -1 for c in brackets))


def loads_bounded(text: str, where: str = "the body", field: str | None = None) -> Any:
    """``json.loads`` that refuses nesting deeper than MAX_JSON_DEPTH with a 400 naming the limit (and, given
    ``field``, the request field at fault, as interface.md section 4 asks of a malformed body)."""
    if json_depth(text) > MAX_JSON_DEPTH:
        named = {"field": field} if field else {}
        raise Problem(400, f"{where} is JSON nested more than {MAX_JSON_DEPTH} levels deep; the limit is "
                           f"{MAX_JSON_DEPTH}", limit={"max_json_depth": MAX_JSON_DEPTH}, **named)
    return json.loads(text)
