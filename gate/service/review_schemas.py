"""marshmallow schemas of the review desk's API (interface.md section 8): what a store sends to decide a build and
to manage waivers, and what it gets back. `/openapi.json` lists them beside gate.service.schemas'."""

from __future__ import annotations

from marshmallow import INCLUDE, RAISE, Schema, fields, validate

from gate.record.models import IDENTIFIED_BY, REVIEW_STATUSES
from gate.service.schemas import RULE_ID

TIME = {"format": "date-time", "description": "UTC, ISO 8601"}
IDENTIFIED = ("how the reviewer was identified: review_session (signed in on the review pages, with an account) "
              "or store_token (the name the store gave with its API token: the token vouches for the store, not "
              "for the name); null for decisions recorded before the gate kept it")
IDENTIFIED_AUTHOR = ("how the waiver's author was identified: review_session (signed in on the review pages, with "
                     "an account) or store_token (the name the store gave with its API token: the token vouches for "
                     "the store, not for the name); null for waivers added before the gate kept it")
WHEN = ("an ISO 8601 date or date-time (UTC unless it carries an offset), e.g. 2027-06-30; null: no expiry")


class _Open(Schema):
    class Meta:
        unknown = INCLUDE  # what the gate answers only ever gains fields


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # a misspelt field is a 422 naming it, not a value silently left out


class DecisionRequestSchema(_Strict):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    reviewer = fields.String(required=True, validate=validate.Length(min=1, max=100),
                             metadata={"description": "who decided (the store's reviewer); the decision says it was "
                                                      "named with the store's token (reviewer_identified_by). Under a "
                                                      "policy with [review] api_reviewer_must_be_account it must be "
                                                      "an enabled reviewer account (422 naming reviewer otherwise)"})
    second_reviewer = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                                    metadata={"description": "approving a block under a policy with [review] "
                                                             "second_reviewer_for_block: a senior or admin reviewer "
                                                             "account, not the first reviewer"})


class CallbackStateSchema(_Open):
    status = fields.String(required=True, validate=validate.OneOf(("queued", "not_queued")))
    job_id = fields.String()
    error = fields.String()


class DecisionSchema(_Open):
    build_id = fields.String(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    review_status = fields.String(required=True, validate=validate.OneOf(REVIEW_STATUSES))
    reason = fields.String(required=True)
    reviewer = fields.String(required=True, metadata={"description": "'first+second' for a two-person override"})
    reviewer_identified_by = fields.String(allow_none=True, validate=validate.OneOf(IDENTIFIED_BY),
                                           metadata={"description": IDENTIFIED})
    decided_at = fields.String(required=True, metadata=TIME)
    verdict = fields.String(required=True, allow_none=True, validate=validate.OneOf(("pass", "warn", "block")))
    callback = fields.Nested(CallbackStateSchema)


class ReviewItemSchema(_Open):
    build_id = fields.String(required=True)
    tenant = fields.String(required=True)
    platform_build_id = fields.String(required=True, allow_none=True)
    package = fields.String(required=True, allow_none=True)
    version_code = fields.Integer(required=True, allow_none=True)
    verdict = fields.String(required=True, allow_none=True)
    review_status = fields.String(required=True, allow_none=True)
    decided_at = fields.String(required=True, allow_none=True, metadata=TIME)
    developer = fields.String(required=True, allow_none=True)
    category = fields.String(required=True, allow_none=True)
    rules = fields.List(fields.String(), required=True, metadata={"description": "rules that warned or blocked"})


class ReviewQueueSchema(_Open):
    builds = fields.List(fields.Nested(ReviewItemSchema), required=True)


class WaiverRequestSchema(_Strict):
    rule_id = fields.String(required=True, validate=validate.Regexp(RULE_ID))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    author = fields.String(required=True, validate=validate.Length(min=1, max=100),
                           metadata={"description": "who waived it (the store's reviewer); the waiver says it was "
                                                    "named with the store's token (author_identified_by). Under a "
                                                    "policy with [review] api_reviewer_must_be_account it must be an "
                                                    "enabled reviewer account (422 naming author otherwise)"})
    package = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=255))
    developer = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=255))
    evidence_match = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000),
                                   metadata={"description": "only findings with evidence (value, location or call "
                                                            "chain) containing this text"})
    expires_at = fields.String(load_default=None, allow_none=True, metadata={"description": WHEN})


class WaiverSchema(_Open):
    id = fields.Integer(required=True)
    tenant = fields.String(required=True)
    package = fields.String(required=True, allow_none=True)
    developer = fields.String(required=True, allow_none=True)
    rule_id = fields.String(required=True)
    evidence_match = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True)
    expires_at = fields.String(required=True, allow_none=True, metadata=TIME)
    author = fields.String(required=True)
    author_identified_by = fields.String(allow_none=True, validate=validate.OneOf(IDENTIFIED_BY),
                                         metadata={"description": IDENTIFIED_AUTHOR})
    created_at = fields.String(required=True, metadata=TIME)
    revoked_at = fields.String(required=True, allow_none=True, metadata=TIME)
    revoked_by = fields.String(required=True, allow_none=True,
                               metadata={"description": "who revoked it: a name, or api:STORE when the store's API "
                                                        "call named nobody"})
    revoked_by_identified_by = fields.String(allow_none=True, validate=validate.OneOf(IDENTIFIED_BY),
                                             metadata={"description": "how whoever revoked it was identified, as "
                                                                      "author_identified_by; null while it is active"})


class WaiverListSchema(_Open):
    waivers = fields.List(fields.Nested(WaiverSchema), required=True)


class DecisionEventDataSchema(_Open):
    build_id = fields.String(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    reason = fields.String(required=True)
    reviewer = fields.String(required=True)
    reviewer_identified_by = fields.String(allow_none=True, validate=validate.OneOf(IDENTIFIED_BY),
                                           metadata={"description": IDENTIFIED})
    decided_at = fields.String(required=True, metadata=TIME)
    verdict = fields.String(required=True, allow_none=True)
    review_status = fields.String(validate=validate.OneOf(REVIEW_STATUSES))
    tenant = fields.String()
    platform_build_id = fields.String(allow_none=True)
    verdict_url = fields.String()


class DecisionEventSchema(_Open):
    type = fields.String(required=True, validate=validate.OneOf(("build.decision",)))
    data = fields.Nested(DecisionEventDataSchema, required=True)


COMPONENTS: tuple[tuple[str, type[Schema]], ...] = (
    ("DecisionRequest", DecisionRequestSchema),
    ("CallbackState", CallbackStateSchema),
    ("Decision", DecisionSchema),
    ("ReviewItem", ReviewItemSchema),
    ("ReviewQueue", ReviewQueueSchema),
    ("WaiverRequest", WaiverRequestSchema),
    ("Waiver", WaiverSchema),
    ("WaiverList", WaiverListSchema),
    ("DecisionEventData", DecisionEventDataSchema),
    ("DecisionEvent", DecisionEventSchema),
)
