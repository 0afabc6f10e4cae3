"""``POST /sms/twilio``: Twilio's inbound-SMS webhook, answered with TwiML.

Without CHECKER_TWILIO_AUTH_TOKEN and CHECKER_PUBLIC_URL the route answers 404.
A missing or wrong ``X-Twilio-Signature`` is 403 before anything is read or
spent. A repeated MessageSid (Twilio retrying) gets an empty ``<Response/>``.
"""

from xml.sax.saxutils import escape

from flask import Blueprint, Response, request

from checker.errors import InvalidRequest
from checker.signatures import matches, twilio_signature
from checker.sms import Inbound
from web.errors import ApiError
from web.sms_common import desk, install_unknown_budget, not_configured, setting, signed_url

bp = Blueprint("sms_twilio", __name__)
bp.record_once(install_unknown_budget)


@bp.post("/sms/twilio")
def inbound():
    token = setting("TWILIO_AUTH_TOKEN")
    if token is None or setting("PUBLIC_URL") is None:
        raise not_configured("Twilio")
    params = list(request.form.items(multi=True))
    expected = twilio_signature(token, signed_url(), params)
    if not matches(expected, request.headers.get("X-Twilio-Signature")):
        raise ApiError(403, "forbidden", "The request's Twilio signature is missing or wrong.")
    message_id = request.form.get("MessageSid") or request.form.get("SmsSid")
    sender = request.form.get("From")
    if not message_id or not sender:
        raise InvalidRequest("An inbound message needs MessageSid and From.")
    outcome = desk().answer(Inbound("twilio", message_id, sender, request.form.get("Body", "")))
    return twiml(outcome.reply)


def twiml(text: str | None) -> Response:
    """One ``<Message>``, or an empty ``<Response/>`` when nothing is to be sent."""
    inner = f"<Message>{escape(text)}</Message>" if text else ""
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>',
        mimetype="application/xml",
    )
