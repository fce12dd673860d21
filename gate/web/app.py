"""`create_app()`: the only composition root of the web service (served by gunicorn in production)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import redis
from flask import Flask, Response, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from gate.errors import ConfigError
from gate.service.runtime import Runtime
from gate.service.settings import Settings
from gate.web.problems import MAX_JSON_DEPTH, Problem, problem, unavailable


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Settings come from the environment; ``test_config`` overrides any Settings field."""
    overrides = {k: v for k, v in (test_config or {}).items() if k in {f.name for f in fields(Settings)}}
    settings = Settings.from_env(**overrides)
    if not settings.redis_url:
        raise ConfigError("REDIS_URL is not set: start the service with `gate serve`, which provides an "
                           "embedded Redis, or point REDIS_URL at a Redis server")
    app = Flask(__name__, template_folder="templates", static_folder=None)  # no static files: pages inline their CSS
    app.config.update(JSON_SORT_KEYS=False, TEMPLATES_AUTO_RELOAD=False)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["gate"] = Runtime(settings)

    from gate.web.admin import bp as admin_bp
    from gate.web.api import bp as api_bp
    from gate.web.openapi import bp as openapi_bp
    from gate.web.pages import bp as pages_bp
    from gate.web.review_api import bp as review_api_bp
    from gate.web.review_pages import bp as review_pages_bp
    from webhooks.inbound import bp as inbound_bp

    app.register_blueprint(inbound_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(openapi_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(review_api_bp)
    app.register_blueprint(review_pages_bp)

    @app.errorhandler(Problem)
    def _problem(exc: Problem) -> Response:
        return exc.response()

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if request.path.startswith(("/api/", "/webhooks/")):
            return problem(exc.code or 500, exc.description or exc.name)
        if exc.code == 404:  # a page link that leads nowhere: the gate's own page, in both languages
            from gate.web.pages import not_found

            return not_found()
        return exc

    @app.errorhandler(redis.RedisError)
    def _redis_down(exc: redis.RedisError) -> Response:
        # Redis unreachable or failing: a retry later will do (a webhook retried with its webhook-id is
        # recovered or stored then), so 503 with Retry-After, never a 500
        app.logger.warning("Redis unavailable on %s: %s", request.path, type(exc).__name__)
        return unavailable("the gate's store (Redis) is unavailable; please retry")

    @app.errorhandler(OperationalError)
    def _record_down(exc: OperationalError) -> Response:
        # the record's database unreachable (or locked past its timeout): as for Redis, 503 and a retry later
        app.logger.warning("the record is unavailable on %s: %s", request.path, str(exc.orig)[:200])
        return unavailable("the gate's record (its database) is unavailable; please retry")

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError) -> Response:
        return problem(400, f"the JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)")

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        app.logger.exception("unhandled error on %s", request.path)
        return problem(500, "internal error; the gate logged it for its operators")

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        return resp

    return app
