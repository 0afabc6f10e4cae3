"""Caseworker commands of issue 5: member management and the report queue.

(``checker member phone`` lives in ``checker.cli``, from the SMS work.)

Registered on the groups of ``checker.cli`` when that module is imported (it
imports this one at its end). Exit status as everywhere: 1 refused or not
found, 2 invalid input.
"""

import sys

import click

from checker.cli import ACTOR, Failure, cli, emit, json_option, member, pass_context
from checker.monthly import MAX_MONTHS, MEASURES
from checker.reports import STATUSES


@member.command("list")
@json_option
@pass_context
def member_list(ctx, as_json):
    """List members: name, active, whether a password and an SMS phone are set."""
    members = ctx.checker.members.list()
    emit(as_json, {"members": members}, "\n".join(
        f"{m['id']:>5}  {m['name']:<24} {'active' if m['active'] else 'DEACTIVATED':<12}"
        f"{' password' if m['has_password'] else ''}{' sms-phone' if m['has_sms_phone'] else ''}"
        for m in members) or "No members.")


@member.command("deactivate")
@click.argument("name")
@json_option
@pass_context
def member_deactivate(ctx, name, as_json):
    """Deactivate member NAME: their token, password and SMS phone stop working."""
    result = ctx.checker.members.deactivate(ACTOR, name)
    emit(as_json, result, f"Member {result['name']!r} is deactivated.")


@member.command("activate")
@click.argument("name")
@json_option
@pass_context
def member_activate(ctx, name, as_json):
    """Reactivate member NAME (their old token, password and phone work again)."""
    result = ctx.checker.members.activate(ACTOR, name)
    emit(as_json, result, f"Member {result['name']!r} is active.")


@member.command("language")
@click.argument("name")
@click.argument("language", type=click.Choice(["nl", "en"]))
@json_option
@pass_context
def member_language(ctx, name, language, as_json):
    """Reply to member NAME's text messages in LANGUAGE (nl, the default, or en)."""
    result = ctx.checker.members.set_language(ACTOR, name, language)
    emit(as_json, result, f"Member {result['name']!r} gets SMS replies in {language}.")


@member.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin (required).")
@json_option
@pass_context
def member_password(ctx, name, password_stdin, as_json):
    """Set (reset) member NAME's sign-in password, read from stdin."""
    if not password_stdin:
        raise Failure("Give the new password on stdin with --password-stdin.", 2)
    password = sys.stdin.readline().rstrip("\r\n")
    result = ctx.checker.members.set_password(ACTOR, name, password)
    emit(as_json, result, f"Password of member {result['name']!r} is set.")


@cli.command("reports")
@click.option("--status", type=click.Choice([*STATUSES, "all"]), default="pending",
              show_default=True)
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
@json_option
@pass_context
def reports(ctx, status, limit, as_json):
    """Incident reports: pending ones oldest first (the queue), others newest first. No numbers."""
    listed = ctx.checker.reports.listing(status, limit)
    emit(as_json, {"reports": listed}, "\n".join(_report_text(r) for r in listed) or "No reports.")


def _report_text(report: dict) -> str:
    number = "number given" if report["has_number"] else "no number"
    return (f"#{report['id']} {report['status']} {report['incident_date']} {report['category']} "
            f"{report['region'] or '-'} ({number}, by {report['reporter']}): "
            f"{report['what_happened']}")


@cli.command("monthly")
@click.option("--months", type=click.IntRange(1, MAX_MONTHS), default=12, show_default=True)
@json_option
@pass_context
def monthly(ctx, months, as_json):
    """Statistics per month: members, reports, warnings published, checks, checks with warnings."""
    rows = ctx.checker.monthly_stats(months)
    header = "month    " + " ".join(f"{name:>20}" for name in MEASURES)
    lines = [f"{row['month']}  " + " ".join(f"{row[name]:>20}" for name in MEASURES) for row in rows]
    emit(as_json, {"months": rows}, "\n".join([header, *lines]))
