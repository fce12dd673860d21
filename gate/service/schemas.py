"""marshmallow schemas of what the service sends and accepts: the verdict contract (interface.md section 2),
the build the API and the callback show, the webhook bodies and the errors. `/openapi.json` is generated
from them (gate/web/openapi.py), and the tests check real responses against them."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from gate.core.listing import ListingSchema
from gate.core.model import EVIDENCE_KINDS
from gate.record.models import IDENTIFIED_BY

OUTCOMES = ("info", "warn", "block")
SHA256 = "^[0-9a-f]{64}$"
RULE_ID = "^[A-Z]+(-[A-Z0-9]+)+$"


class _Open(Schema):
    class Meta:
        unknown = INCLUDE  # the contract only ever adds fields


class EvidenceSchema(_Open):
    kind = fields.String(required=True, validate=validate.OneOf(sorted(EVIDENCE_KINDS)))
    value = fields.String(required=True)
    location = fields.String(required=True, allow_none=True)
    sdk = fields.String(required=True, allow_none=True, metadata={"description": "SDK id of the catalogue"})


class WaiverRefSchema(_Open):
    id = fields.Integer(required=True)
    reason = fields.String(required=True)
    author = fields.String(required=True)
    author_identified_by = fields.String(allow_none=True, validate=validate.OneOf(IDENTIFIED_BY),
                                         metadata={"description": "how the author was identified: review_session "
                                                                  "(signed in on the store's review pages) or "
                                                                  "store_token (named by the store with its API "
                                                                  "token); null for older waivers"})
    expires_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    outcome = fields.String(validate=validate.OneOf(OUTCOMES),
                            metadata={"description": "the outcome the finding had before the waiver"})


class FindingSchema(_Open):
    rule_id = fields.String(required=True, validate=validate.Regexp(RULE_ID), metadata={"example": "PI-DEVICE-ID"})
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    title = fields.String(required=True, validate=validate.Length(min=1))
    message = fields.String(required=True, validate=validate.Length(min=1))
    references = fields.List(fields.String(), required=True, metadata={"example": ["CN-164-1.1"]})
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    remediation = fields.String(required=True, allow_none=True)
    message_zh = fields.String(allow_none=True, metadata={"description": "the message in Chinese (zh-CN)"})
    remediation_zh = fields.String(allow_none=True, metadata={"description": "the remediation in Chinese (zh-CN)"})
    shadow = fields.Boolean(metadata={
        "description": "present (true) when the rule is under evaluation: the finding is shown as info and never "
                       "raises the verdict (docs/adding-a-rule.md)"})
    waiver = fields.Nested(WaiverRefSchema, metadata={
        "description": "the store's waiver that turned this finding into info (interface.md section 8)"})


class CertificateSchema(_Open):
    sha256 = fields.String(required=True, validate=validate.Regexp(SHA256))
    subject = fields.String(required=True)


class AppSchema(_Open):
    package = fields.String(required=True, allow_none=True)
    version_code = fields.Integer(required=True, allow_none=True)
    version_name = fields.String(required=True, allow_none=True)
    min_sdk = fields.Integer(required=True, allow_none=True)
    target_sdk = fields.Integer(required=True, allow_none=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(SHA256))
    size = fields.Integer(required=True, validate=validate.Range(min=0))
    certificates = fields.List(fields.Nested(CertificateSchema), required=True)


class SdkSchema(_Open):
    id = fields.String(required=True)
    name = fields.String(required=True)
    name_zh = fields.String()
    vendor = fields.String(required=True)
    vendor_zh = fields.String()
    category = fields.String(required=True, metadata={"description": "analytics, push, ads, ... packer"})
    data_collected = fields.List(fields.String())
    evidence = fields.List(fields.Dict(), required=True)
    markers = fields.List(fields.String(), metadata={"description": "which kinds of marker matched: package, "
                                                      "class, native library, manifest component, asset, ..."})


class PolicyRefSchema(_Open):
    name = fields.String(required=True, metadata={"example": "cn-default"})
    version = fields.String(required=True, validate=validate.Length(min=1),
                            metadata={"description": "hash of the policy's content"})


class DiffItemSchema(_Open):
    rule_id = fields.String(required=True)
    key = fields.String(required=True)


class DiffSchema(_Open):
    against = fields.Dict(required=True)
    new = fields.List(fields.Nested(DiffItemSchema), required=True)
    fixed = fields.List(fields.Nested(DiffItemSchema), required=True)
    recurring = fields.List(fields.Nested(DiffItemSchema), required=True)


class VerdictSchema(_Open):
    verdict = fields.String(required=True, validate=validate.OneOf(("pass", "warn", "block")))
    app = fields.Nested(AppSchema, required=True)
    findings = fields.List(fields.Nested(FindingSchema), required=True)
    sdks = fields.List(fields.Nested(SdkSchema), required=True)
    policy = fields.Nested(PolicyRefSchema, required=True)
    gate_version = fields.String(required=True)
    analysis_ms = fields.Integer(required=True, validate=validate.Range(min=0))
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())
    checks = fields.List(fields.Dict())
    diff = fields.Nested(DiffSchema, metadata={"description": "against the previous version (service side)"})


class BuildListingSchema(_Open):
    app_name = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    developer = fields.String(allow_none=True)


class BuildSchema(VerdictSchema):
    """A build as the API and the callback show it: the verdict's fields once decided, and the build's."""

    class Meta:
        unknown = INCLUDE

    verdict = fields.String(validate=validate.OneOf(("pass", "warn", "block")))
    app = fields.Nested(AppSchema)
    findings = fields.List(fields.Nested(FindingSchema))
    sdks = fields.List(fields.Nested(SdkSchema))
    policy = fields.Nested(PolicyRefSchema)
    gate_version = fields.String()
    analysis_ms = fields.Integer()
    build_id = fields.String(required=True)
    tenant = fields.String(required=True)
    platform_build_id = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(("queued", "running", "done", "failed")))
    received_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    decided_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    verdict_url = fields.String(required=True)
    listing = fields.Nested(BuildListingSchema)
    callback_attempts = fields.List(fields.Dict())
    review_status = fields.String(allow_none=True, validate=validate.OneOf(
        ("not_required", "pending", "approved", "rejected")), metadata={
        "description": "the review desk's status once decided: not_required (pass), pending (warn, or block when "
                       "the store reviews blocks), approved, rejected"})


class BuildListSchema(_Open):
    builds = fields.List(fields.Nested(BuildSchema), required=True)


class AcceptedSchema(_Open):
    build_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("queued",)))
    status_url = fields.String(required=True)
    verdict_url = fields.String(required=True)


class RedeliverySchema(_Open):
    build_id = fields.String(required=True)
    status = fields.String(required=True)
    job_id = fields.String(required=True)


class ProblemSchema(_Open):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    field = fields.String(metadata={"description": "the request field at fault"})
    errors = fields.Dict()


class BuildRefSchema(_Open):
    id = fields.String(required=True, validate=validate.Length(min=1),
                       metadata={"description": "the store's own build id (a number is read as its digits)"})


class WebhookMetadataSchema(_Open):
    build = fields.Nested(BuildRefSchema, required=True)
    listing = fields.Nested(ListingSchema)


class ArtifactSchema(_Open):
    url = fields.String(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer()


class WebhookJsonSchema(WebhookMetadataSchema):
    artifact = fields.Nested(ArtifactSchema, required=True)


class CallbackEventSchema(_Open):
    type = fields.String(required=True, validate=validate.OneOf(("build.verdict",)))
    data = fields.Nested(BuildSchema, required=True)


class DelistedSchema(_Open):
    package = fields.String(allow_none=True)
    developer = fields.String(allow_none=True)
    notice = fields.String(required=True)
    source = fields.String()
    added_at = fields.String()


# Every schema above under its component name: /openapi.json and gate/data/verdict.schema.json are both
# generated from this list (gate.service.json_schema).
COMPONENTS: tuple[tuple[str, type[Schema]], ...] = (
    ("Evidence", EvidenceSchema),
    ("Finding", FindingSchema),
    ("Certificate", CertificateSchema),
    ("App", AppSchema),
    ("Sdk", SdkSchema),
    ("PolicyRef", PolicyRefSchema),
    ("DiffItem", DiffItemSchema),
    ("Diff", DiffSchema),
    ("Verdict", VerdictSchema),
    ("BuildListing", BuildListingSchema),
    ("Build", BuildSchema),
    ("BuildList", BuildListSchema),
    ("Accepted", AcceptedSchema),
    ("Redelivery", RedeliverySchema),
    ("Problem", ProblemSchema),
    ("BuildRef", BuildRefSchema),
    ("WebhookMetadata", WebhookMetadataSchema),
    ("Artifact", ArtifactSchema),
    ("WebhookJson", WebhookJsonSchema),
    ("CallbackEvent", CallbackEventSchema),
    ("Delisted", DelistedSchema),
)
