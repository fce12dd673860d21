"""The listing a store sends beside the APK (interface.md section 1), validated with marshmallow.

Types are checked strictly (a number where text belongs is an error naming the field). Missing
fields are *not* errors here: whether a listing is complete is a finding of its own
(PLT-LISTING-INCOMPLETE, PLT-FILING-MISSING, PI-NO-POLICY), so it reaches the verdict instead of
being refused at the door. Unknown keys are kept but ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from marshmallow import INCLUDE, Schema, ValidationError, fields, post_load, validate

from gate.errors import GateError

# Longest value of each listing field (characters); longer is refused with 422 naming the field. Generous
# for real listings (app stores cap an app name at 30-50 characters and a description at 4,000-8,000), and
# bounded so one webhook cannot make every callback and verdict page megabytes long.
MAX_LENGTHS: dict[str, int] = {
    "category": 64, "app_name": 200, "developer.name": 200, "developer.id": 128, "filing_number": 64,
    "filing_cert_sha256": 128, "privacy_policy.url": 2048, "privacy_policy.text": 200_000,
    "description": 20_000, "sdk_list[]": 200, "declarations[]": 500,
}
MAX_ITEMS = {"sdk_list": 500, "declarations": 200}
# Keys the schema does not know are kept (and ignored); all of them together, as JSON, at most this long.
MAX_EXTRA_CHARS = 64 * 1024


class ListingError(GateError, ValueError):
    """A listing that cannot be read; ``errors`` maps field paths to messages."""

    def __init__(self, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


@dataclass(frozen=True)
class Developer:
    name: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class PrivacyPolicy:
    url: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Listing:
    category: str | None = None
    app_name: str | None = None
    developer: Developer | None = None
    filing_number: str | None = None
    filing_cert_sha256: str | None = None
    privacy_policy: PrivacyPolicy | None = None
    sdk_list: tuple[str, ...] = ()
    declarations: tuple[str, ...] = ()
    description: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _Text(fields.String):
    """A string that may also be JSON null (treated as absent)."""

    def __init__(self, limit: str | None = None, **kwargs: Any) -> None:
        if limit is not None:
            kwargs["validate"] = validate.Length(max=MAX_LENGTHS[limit])
        super().__init__(allow_none=True, load_default=None, **kwargs)


class _ObjectSchema(Schema):
    """A listing object: unknown keys are kept (and ignored); ``make`` builds ``target`` from the declared fields."""

    class Meta:
        unknown = INCLUDE

    target: ClassVar[Callable[..., Any]]

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Any:
        return self.target(**{name: data.get(name) for name in self.fields})


class DeveloperSchema(_ObjectSchema):
    target = Developer

    name = _Text("developer.name")
    id = _Text("developer.id")


class PrivacyPolicySchema(_ObjectSchema):
    target = PrivacyPolicy

    url = _Text("privacy_policy.url")
    text = _Text("privacy_policy.text")


class ListingSchema(_ObjectSchema):
    category = _Text("category")
    app_name = _Text("app_name")
    developer = fields.Nested(DeveloperSchema, allow_none=True, load_default=None)
    filing_number = _Text("filing_number")
    filing_cert_sha256 = _Text("filing_cert_sha256")
    privacy_policy = fields.Nested(PrivacyPolicySchema, allow_none=True, load_default=None)
    sdk_list = fields.List(fields.String(validate=validate.Length(max=MAX_LENGTHS["sdk_list[]"])), allow_none=True,
                           load_default=None, validate=validate.Length(max=MAX_ITEMS["sdk_list"]))
    declarations = fields.List(fields.String(validate=validate.Length(max=MAX_LENGTHS["declarations[]"])),
                               allow_none=True, load_default=None,
                               validate=validate.Length(max=MAX_ITEMS["declarations"]))
    description = _Text("description")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Listing:
        known = set(self.fields)
        return Listing(
            category=data.get("category"),
            app_name=data.get("app_name"),
            developer=data.get("developer"),
            filing_number=data.get("filing_number"),
            filing_cert_sha256=data.get("filing_cert_sha256"),
            privacy_policy=data.get("privacy_policy"),
            sdk_list=tuple(data.get("sdk_list") or ()),
            declarations=tuple(data.get("declarations") or ()),
            description=data.get("description"),
            extra={k: v for k, v in data.items() if k not in known},
        )


def _flatten(errors: Any, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "_schema":  # marshmallow's name for "the value itself has the wrong type"
                flat.update(_flatten(value, prefix))
            else:
                flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        flat[prefix or "listing"] = " ".join(errors)
    else:
        flat[prefix or "listing"] = str(errors)
    return flat


def load(data: Any) -> Listing:
    """Validate a decoded JSON value as a listing."""
    if not isinstance(data, dict):
        raise ListingError("the listing must be a JSON object", {"listing": "expected an object"})
    try:
        listing: Listing = ListingSchema().load(data)
    except ValidationError as exc:
        flat = _flatten(exc.messages)
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(flat.items()))
        raise ListingError(f"the listing is not valid: {detail}", flat) from None
    if listing.extra and len(json.dumps(listing.extra, ensure_ascii=False)) > MAX_EXTRA_CHARS:
        first = sorted(listing.extra)[0]
        raise ListingError(f"the listing is not valid: its unknown keys together are longer than "
                           f"{MAX_EXTRA_CHARS:,} characters as JSON", {first: "too long (unknown keys)"})
    return listing


def load_file(path: str | Path) -> Listing:
    """Read and validate a listing file; every failure is a ListingError with a plain message."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ListingError(f"cannot read listing file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ListingError(f"listing file {path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ListingError(f"listing file {path} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}") from None
    return load(data)
