"""``POST /sms/bird``: Bird's (MessageBird's) Channels API inbound-message webhook.

Verified by ``messagebird-signature`` and ``messagebird-request-timestamp``
(refused when more than CHECKER_BIRD_MAX_SKEW seconds, default 300, off).
The reply goes out through Bird's send-message API from an in-memory outbox
(``checker.bird``) that retries with backoff. Without the Bird settings the
route answers 404. A full outbox answers 503 before the message is claimed, so
Bird delivers it again later.
"""

import json
import time

from flask import Blueprint, current_app, request

from checker.bird import BirdConfig, Outbox, OutboxFull
from checker.errors import InvalidRequest
from checker.signatures import bird_signature, matches
from checker.sms import Inbound
from web.errors import ApiError
from web.sms_common import desk, install_unknown_budget, not_configured, setting, signed_url

DEFAULT_API_URL = "https://api.bird.com"
REQUIRED = ("BIRD_SIGNING_KEY", "BIRD_ACCESS_KEY", "BIRD_WORKSPACE_ID", "BIRD_CHANNEL_ID",
            "PUBLIC_URL")

bp = Blueprint("sms_bird", __name__)
bp.record_once(install_unknown_budget)


@bp.record_once
def _install_outbox(state) -> None:
    config = state.app.config
    if all(config.get(name) not in (None, "") for name in REQUIRED):
        state.app.extensions["bird_outbox"] = Outbox(
            BirdConfig(
                api_url=str(config.get("BIRD_API_URL") or DEFAULT_API_URL),
                workspace_id=str(config["BIRD_WORKSPACE_ID"]),
                channel_id=str(config["BIRD_CHANNEL_ID"]),
                access_key=str(config["BIRD_ACCESS_KEY"]),
            ),
            size=int(config.get("BIRD_OUTBOX_SIZE", 1000)),
            base_delay=float(config.get("BIRD_RETRY_SECONDS", 1.0)),
        )


@bp.post("/sms/bird")
def inbound():
    outbox = current_app.extensions.get("bird_outbox")
    if outbox is None:
        raise not_configured("Bird")
    raw = request.get_data(cache=True)
    _verify(raw)
    message = _read(raw)
    if message is None:
        return {"status": "ignored"}
    try:
        with outbox.slot() as send:
            outcome = desk().answer(message)
            if outcome.reply:
                send(message.sender, outcome.reply)
    except OutboxFull:
        raise ApiError(503, "unavailable", "Replies are queued up; deliver again later.",
                       headers={"Retry-After": "60"}) from None
    return {"status": "duplicate" if outcome.kind == "duplicate" else "accepted"}


def _verify(raw: bytes) -> None:
    timestamp = request.headers.get("messagebird-request-timestamp", "")
    skew = float(current_app.config.get("BIRD_MAX_SKEW", 300))
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > skew:
        raise ApiError(403, "forbidden", "The request's timestamp is missing or stale.")
    expected = bird_signature(setting("BIRD_SIGNING_KEY"), timestamp, signed_url(), raw)
    if not matches(expected, request.headers.get("messagebird-signature")):
        raise ApiError(403, "forbidden", "The request's Bird signature is missing or wrong.")


def _read(raw: bytes) -> Inbound | None:
    """The inbound text message in a Bird webhook, or None for any other event."""
    try:
        document = json.loads(raw)
    except ValueError:
        raise InvalidRequest("The request body must be JSON.") from None
    if not isinstance(document, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    event = document.get("event")
    if event is not None and not str(event).endswith(".inbound"):
        return None
    message = document.get("payload", document)
    try:
        fields = (message["id"], message["sender"]["contact"]["identifierValue"],
                  message["body"]["text"]["text"])
    except (KeyError, TypeError):
        raise InvalidRequest("Not a Bird inbound text message.") from None
    if not all(isinstance(value, str) and value for value in fields[:2]):
        raise InvalidRequest("Not a Bird inbound text message.")
    return Inbound("bird", fields[0], fields[1], str(fields[2]))
