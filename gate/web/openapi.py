"""`GET /openapi.json`: the OpenAPI 3.1 document of the service, generated from gate/service/schemas.py (apispec)."""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify

from gate import __version__
from gate.service import review_schemas, schemas

bp = Blueprint("openapi", __name__)

_PROBLEMS = {
    400: "Malformed body",
    401: "Missing or bad signature or token",
    404: "Unknown store or build",
    409: "In progress or not decided yet",
    413: "Over the size limit",
    415: "Unsupported media type",
    422: "A field is not valid (problem+json names it)",
    429: "Rate limited",
}


def _problem(*codes: int) -> dict[str, Any]:
    return {
        str(c): {
            "description": _PROBLEMS[c],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for c in codes
    }


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


@cache
def spec() -> dict[str, Any]:
    api = APISpec(
        title="The listing gate",
        version=__version__,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Pre-listing compliance review of Android apps for app stores: "
            "signed store webhooks in, pass/warn/block verdicts out."
        },
    )
    for name, schema in (*schemas.COMPONENTS, *review_schemas.COMPONENTS):
        api.components.schema(name, schema=schema)
    api.components.security_scheme(
        "storeToken", {"type": "http", "scheme": "bearer", "description": "the store's API token (gate tenants add)"}
    )
    api.components.security_scheme(
        "operatorToken", {"type": "http", "scheme": "bearer", "description": "GATE_ADMIN_TOKEN"}
    )
    signature = [
        {"name": n, "in": "header", "required": True, "schema": {"type": "string"}, "description": d}
        for n, d in (
            ("webhook-id", "unique per delivery; a redelivery answers the same build"),
            ("webhook-timestamp", "unix seconds, within 5 minutes of the gate's clock"),
            ("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body>; several allowed"),
        )
    ]
    api.path(
        path="/webhooks/v1/{tenant}/builds",
        operations={
            "post": {
                "summary": "A store submits a build (Standard Webhooks signature)",
                "parameters": [
                    {"name": "tenant", "in": "path", "required": True, "schema": {"type": "string"}},
                    *signature,
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["metadata", "apk"],
                                "properties": {
                                    "metadata": {"$ref": "#/components/schemas/WebhookMetadata"},
                                    "apk": {
                                        "type": "string",
                                        "contentMediaType": "application/vnd.android.package-archive",
                                    },
                                },
                            }
                        },
                        "application/json": {"schema": {"$ref": "#/components/schemas/WebhookJson"}},
                    },
                },
                "responses": {
                    "202": _json("Accepted", "Queued (or the build this webhook-id already made)"),
                    **_problem(400, 401, 404, 409, 413, 415, 422, 429),
                },
                "callbacks": {
                    "verdict": {
                        "https://store.example/gate-callback": {
                            "post": {
                                "summary": "The decided verdict, POSTed to the callback URL registered for the store "
                                "(gate tenants add --callback-url), signed like the webhooks",
                                "requestBody": {
                                    "content": {
                                        "application/json": {"schema": {"$ref": "#/components/schemas/CallbackEvent"}}
                                    }
                                },
                                "responses": {
                                    "2XX": {"description": "delivered"},
                                    "410": {"description": "stop sending"},
                                },
                            }
                        }
                    }
                },
            }
        },
    )
    build_id = {"name": "build_id", "in": "path", "required": True, "schema": {"type": "string"}}
    secured: list[dict[str, list[str]]] = [{"storeToken": []}]
    api.path(
        path="/api/v1/builds/{build_id}",
        operations={
            "get": {
                "summary": "A build's status and, once decided, its verdict and callback attempts",
                "security": secured,
                "parameters": [build_id],
                "responses": {"200": _json("Build", "The build"), **_problem(401, 404)},
            }
        },
    )
    api.path(
        path="/api/v1/builds",
        operations={
            "get": {
                "summary": "The store's builds, newest first (of one package with ?package=)",
                "security": secured,
                "parameters": [
                    {"name": "package", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                ],
                "responses": {"200": _json("BuildList", "Builds"), **_problem(400, 401)},
            }
        },
    )
    api.path(
        path="/api/v1/builds/{build_id}/redeliver",
        operations={
            "post": {
                "summary": "Send the callback again",
                "security": secured,
                "parameters": [build_id],
                "responses": {"202": _json("Redelivery", "Queued"), **_problem(401, 404, 409)},
            }
        },
    )
    api.path(
        path="/api/v1/reports/decisions",
        operations={
            "get": {
                "summary": "Every build of the store decided in a period: verdict, rules fired, review decision, "
                           "reviewer and time (CSV or JSON Lines)",
                "security": secured,
                "parameters": [
                    {"name": "from", "in": "query", "required": True,
                     "description": "first day (YYYY-MM-DD) or UTC time (YYYY-MM-DDTHH:MM:SSZ)",
                     "schema": {"type": "string"}},
                    {"name": "to", "in": "query", "required": True,
                     "description": "last day (included) or UTC time (excluded)", "schema": {"type": "string"}},
                    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "jsonl"],
                                                                 "default": "jsonl"}},
                ],
                "responses": {
                    "200": {"description": "One line per build (CSV with a header; JSON Lines: one object each)",
                            "content": {"text/csv": {"schema": {"type": "string"}},
                                        "application/jsonl": {"schema": {"type": "string"}}}},
                    **_problem(400, 401),
                },
            }
        },
    )
    _review_paths(api, build_id, secured)
    admin: list[dict[str, list[str]]] = [{"operatorToken": []}]
    api.path(
        path="/api/v1/admin/delisted",
        operations={
            "get": {
                "summary": "The delisted registry",
                "security": admin,
                "responses": {
                    "200": {
                        "description": "Entries",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "delisted": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Delisted"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    **_problem(401, 404),
                },
            },
            "post": {
                "summary": "Add an entry, or a notice's list {notice, packages, developers}",
                "security": admin,
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "Added"}, **_problem(400, 401, 404, 422)},
            },
        },
    )
    api.path(
        path="/api/v1/admin/delisted/{package}",
        operations={
            "delete": {
                "summary": "Remove a package from the registry",
                "security": admin,
                "parameters": [{"name": "package", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Removed"}, **_problem(401, 404)},
            }
        },
    )
    # The pages for people: zh-CN or English, from ?lang=, else the remembered switch, else Accept-Language.
    html = {"text/html": {"schema": {"type": "string"}}}
    lang = [
        {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["zh", "en"]},
         "description": "the page's language; the choice is remembered in the gate_lang cookie"},
        {"name": "gate_lang", "in": "cookie", "schema": {"type": "string", "enum": ["zh", "en"]},
         "description": "the language last chosen with ?lang="},
        {"name": "Accept-Language", "in": "header", "schema": {"type": "string"},
         "description": "used when neither ?lang= nor the cookie says; zh-CN when it names neither language"},
    ]
    page = {"description": "HTML page", "content": html}
    missing = {"description": "The gate's own page, in both languages", "content": html}
    api.path(
        path="/v/{token}",
        operations={
            "get": {
                "summary": "The verdict page for the app's developer: a summary (counts by outcome, the blocking "
                "findings first), then the findings by category",
                "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}},
                               *lang],
                "responses": {"200": page, "404": missing},
            }
        },
    )
    api.path(
        path="/rules",
        operations={"get": {"summary": "Every rule of the catalogue, by category", "parameters": lang,
                            "responses": {"200": page}}},
    )
    api.path(
        path="/rules/{rule_id}",
        operations={
            "get": {
                "summary": "One rule: what it finds, why it matters, how to fix it, its references, its outcome "
                "under each policy",
                "parameters": [{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"},
                                "description": "a rule id such as PI-APP-LIST; in any case"}, *lang],
                "responses": {
                    "200": page,
                    "301": {"description": "The same rule at its upper-case address (/rules/pi-app-list)",
                            "headers": {"Location": {"schema": {"type": "string"}}}},
                    "404": missing,
                },
            }
        },
    )
    # The review desk's pages (gate.web.review_pages): a reviewer's session cookie, a CSRF token on every form.
    session = [{"name": "gate_review", "in": "cookie", "schema": {"type": "string"},
                "description": "the reviewer's session (HttpOnly, SameSite=Strict), set by the sign-in"}]
    form = {"content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["csrf"], "properties": {"csrf": {"type": "string"}}}}}}
    moved = {"description": "Done; on to the next page", "headers": {"Location": {"schema": {"type": "string"}}}}
    build_param = {"name": "build_id", "in": "path", "required": True, "schema": {"type": "string"}}
    desk: tuple[tuple[str, str, str, list[dict[str, Any]]], ...] = (
        ("/review/login", "get", "The reviewers' sign-in form", []),
        ("/review/login", "post", "Sign in (name, password, CSRF token)", []),
        ("/review/logout", "post", "Sign out", session),
        ("/review", "get", "The review queue: newest or oldest first, filters by rule, SDK, developer and app type",
         session),
        ("/review/export.csv", "get", "The queue as it is filtered, as CSV", session),
        ("/review/builds/{build_id}", "get", "One build: verdict, evidence, the app's versions and the diff",
         [build_param, *session]),
        ("/review/builds/{build_id}/decision", "post", "Approve or reject (a block: the two-step override)",
         [build_param, *session]),
        ("/review/builds/{build_id}/waivers", "post", "Waive a finding of this build for the package or developer",
         [build_param, *session]),
        ("/review/waivers/{waiver_id}/revoke", "post", "Revoke a waiver",
         [{"name": "waiver_id", "in": "path", "required": True, "schema": {"type": "integer"}}, *session]),
    )
    ops: dict[str, dict[str, Any]] = {}
    for path, method, summary, params in desk:
        op: dict[str, Any] = {"summary": summary, "parameters": [*params, *lang]}
        if method == "post":
            op["requestBody"] = form
            op["responses"] = {"303": moved, "200": page, "400": page, "403": page, "404": missing}
        else:
            op["responses"] = {"200": page, "303": moved, "404": missing}
        ops.setdefault(path, {})[method] = op
    for path, operations in ops.items():
        api.path(path=path, operations=operations)
    for path, summary in (("/healthz", "The process is up"), ("/readyz", "Redis reachable and workers present")):
        api.path(
            path=path,
            operations={
                "get": {
                    "summary": summary,
                    "responses": {
                        "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                        **({"503": {"description": "Not ready"}} if path == "/readyz" else {}),
                    },
                }
            },
        )
    api.path(
        path="/metrics",
        operations={
            "get": {
                "summary": "Prometheus metrics of every process",
                "responses": {
                    "200": {
                        "description": "text exposition format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    )
    api.path(
        path="/openapi.json",
        operations={
            "get": {
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    )
    return api.to_dict()


def _review_paths(api: APISpec, build_id: dict[str, Any], secured: list[dict[str, list[str]]]) -> None:
    """The review desk (interface.md section 8): queue, decisions, waivers."""
    query = [{"name": n, "in": "query", "schema": {"type": "string"}, "description": d} for n, d in (
        ("rule", "builds where this rule warned or blocked"), ("sdk", "builds with a finding in this SDK"),
        ("developer", "the listing's developer id (or name)"), ("category", "the listing's app type"))]
    api.path(
        path="/api/v1/review",
        operations={"get": {
            "summary": "The store's builds by review status (pending by default), newest decided first",
            "security": secured,
            "parameters": [
                {"name": "status", "in": "query",
                 "schema": {"type": "string", "enum": ["not_required", "pending", "approved", "rejected"]}},
                *query,
                {"name": "order", "in": "query", "schema": {"type": "string", "enum": ["newest", "oldest"]}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
            ],
            "responses": {"200": _json("ReviewQueue", "Builds"), **_problem(400, 401)},
        }},
    )
    api.path(
        path="/api/v1/builds/{build_id}/decision",
        operations={"post": {
            "summary": "Approve or reject a build waiting for review; sends the signed build.decision callback",
            "security": secured,
            "parameters": [build_id],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/DecisionRequest"}}}},
            "responses": {"201": _json("Decision", "Decided"), **_problem(400, 401, 404, 409, 413, 415, 422)},
            "callbacks": {"decision": {"https://store.example/gate-callback": {"post": {
                "summary": "The reviewer's decision, POSTed to the store's callback URL, signed like the verdict",
                "requestBody": {"content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/DecisionEvent"}}}},
                "responses": {"2XX": {"description": "delivered"}, "410": {"description": "stop sending"}},
            }}}},
        }},
    )
    api.path(
        path="/api/v1/waivers",
        operations={
            "get": {
                "summary": "The store's active waivers (all, revoked ones too, with include_revoked=1)",
                "security": secured,
                "parameters": [
                    {"name": "include_revoked", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}},
                    {"name": "package", "in": "query", "schema": {"type": "string"}},
                    {"name": "developer", "in": "query", "schema": {"type": "string"}},
                    {"name": "rule", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": _json("WaiverList", "Waivers"), **_problem(401)},
            },
            "post": {
                "summary": "Waive a rule's findings for a package or a developer (shown as info, with the waiver)",
                "security": secured,
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/WaiverRequest"}}}},
                "responses": {"201": _json("Waiver", "Added"), **_problem(400, 401, 413, 415, 422)},
            },
            "delete": {
                "summary": "End a waiver (the record keeps it, marked revoked, with who and when)",
                "security": secured,
                "parameters": [
                    {"name": "id", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 1}},
                    {"name": "actor", "in": "query", "schema": {"type": "string"},
                     "description": "who revokes it (default: the store's API, recorded as api:STORE); the waiver "
                                    "says it was named with the store's token (revoked_by_identified_by). Under a "
                                    "policy with [review] api_reviewer_must_be_account a named actor must be an "
                                    "enabled reviewer account (422 naming actor otherwise)"},
                ],
                "responses": {"200": _json("Waiver", "Revoked"), **_problem(400, 401, 404, 422)},
            },
        },
    )


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(spec())
