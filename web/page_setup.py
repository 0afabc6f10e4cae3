"""What every page blueprint beyond the check page shares: the signed-in account and the
CSRF check of web.pages, and the domain's errors as HTML pages instead of JSON."""

from flask import render_template

from checker.errors import InvalidNumber, InvalidRequest, NotFound, Refused
from hashing import scrub
from web import i18n, pages
from web.context import checker


def message_page(status: int, message: str):
    """An error page that says what was wrong (the domain's messages hold no number)."""
    return render_template("error.html", status=status,
                           message=i18n.domain_message(message)), status


def setup(bp, before=()) -> None:
    """Run ``before`` hooks first (e.g. a larger upload limit, which must be set before the
    form is read), then refuse a POST without the right CSRF token and load the account,
    in the check page's order."""
    for hook in before:
        bp.before_request(hook)
    bp.before_request(pages.refuse_forged_posts)
    bp.before_request(pages.load_account)

    @bp.errorhandler(NotFound)
    def not_found(exc):
        return pages.error_page(404, {})

    @bp.errorhandler(Refused)
    def refused(exc):
        return message_page(409, str(exc))

    @bp.errorhandler(InvalidRequest)
    def invalid(exc):
        return message_page(400, str(exc))

    @bp.errorhandler(InvalidNumber)
    def invalid_number(exc):
        return message_page(400, i18n.invalid_number_message(exc.reason))


def shown_again(form: dict, free_text) -> dict:
    """A form re-shown after invalid input: its number field as typed (to be corrected), its
    free text with anything like a phone number removed, as it would have been stored."""
    region = checker().region
    return {**form, **{name: scrub(form[name], region) for name in free_text if form.get(name)}}
