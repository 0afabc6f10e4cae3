"""The ``checker`` command line: a thin click layer over the Checker.

Exit status: 0 success, 1 refused or failed, 2 usage error or invalid input.
With ``--json`` a command prints exactly one JSON object on stdout; messages
and errors go to stderr.
"""

import json
import os
import sys

import click

from checker.errors import InvalidNumber, InvalidRequest, KeyProblem, NotFound, Refused, SetupProblem
from checker.instance import init_instance, open_checker
from checker.settings import Settings, read_env
from checker.warnings import CATEGORIES

ACTOR = "cli"


class Failure(click.ClickException):
    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


class CheckerGroup(click.Group):
    """Turns the domain's errors into messages and exit codes, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (InvalidNumber, InvalidRequest) as exc:
            prefix = "invalid number: " if isinstance(exc, InvalidNumber) else ""
            raise Failure(prefix + str(exc), 2) from None
        except (NotFound, Refused, SetupProblem, KeyProblem) as exc:
            raise Failure(str(exc), 1) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("CHECKER_DEBUG"):
                raise
            raise Failure(
                f"internal error ({exc.__class__.__name__}); set CHECKER_DEBUG=1 for details", 1
            ) from None


class Context:
    def __init__(self, instance):
        self.instance = instance
        self._checker = None

    @property
    def settings(self) -> Settings:
        values = read_env()
        if self.instance:
            values["INSTANCE"] = self.instance
        return Settings.from_mapping(values)

    @property
    def checker(self):
        if self._checker is None:
            self._checker = open_checker(self.settings)
        return self._checker


pass_context = click.make_pass_decorator(Context)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def emit(as_json: bool, data: dict, text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False) if as_json else text)


def read_number(value: str) -> str:
    """A number argument; ``-`` reads it from stdin, keeping it out of shell history."""
    return sys.stdin.readline().strip() if value == "-" else value


@click.group(cls=CheckerGroup)
@click.option(
    "--instance",
    type=click.Path(file_okay=False),
    help="Instance folder (default: $CHECKER_INSTANCE, else ./instance).",
)
@click.version_option(package_name="sexwork-checker")
@click.pass_context
def cli(ctx, instance):
    """Warnings about dangerous clients, looked up by phone number.

    Numbers are stored only as keyed BLAKE3 tokens. The secret key comes from
    CHECKER_HASH_KEY, CHECKER_KEY_FILE or the instance's hash.key.
    """
    ctx.obj = Context(instance)


@cli.command()
@json_option
@pass_context
def init(ctx, as_json):
    """Create the instance: folder, secret key (if none) and database. Safe to repeat."""
    result = init_instance(ctx.settings)
    emit(as_json, result.as_json(), _init_text(result))


def _init_text(result) -> str:
    lines = [f"Instance {result.instance} ready; key fingerprint {result.key_fingerprint}."]
    if result.key_created:
        lines.append("A new secret key was written to hash.key: back it up apart from the database.")
    return "\n".join(lines)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@pass_context
def serve(ctx, host, port, threads):
    """Serve the web app and API with waitress (one process)."""
    from checker.serving import serve_app

    serve_app(ctx.instance, host, port, threads)


def _account_command(role: str):
    @click.command("add")
    @click.argument("name")
    @click.option("--password-stdin", is_flag=True, help="Read a sign-in password from stdin.")
    @json_option
    @pass_context
    def add_account(ctx, name, password_stdin, as_json, phone=None):
        password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
        new = ctx.checker.add_account(ACTOR, role, name, phone=phone, password=password)
        emit(
            as_json,
            new.as_json(),
            f"{role.capitalize()} {new.name!r} created (id {new.id}).\n"
            f"Access token, shown only now: {new.token}",
        )

    add_account.help = f"Create a {role} and print their access token (shown once)."
    return add_account


@cli.group()
def member():
    """Members: sex workers who check numbers and report incidents."""


@cli.group()
def caseworker():
    """Caseworkers: staff who publish, import and withdraw warnings."""


member.add_command(
    click.option(
        "--phone", help="The member's own phone, for checks by SMS (stored as a token)."
    )(_account_command("member"))
)
caseworker.add_command(_account_command("caseworker"))


@member.command("phone")
@click.argument("name")
@click.argument("number", required=False)
@click.option("--remove", is_flag=True, help="Remove the member's SMS phone.")
@json_option
@pass_context
def member_phone(ctx, name, number, remove, as_json):
    """Register or change member NAME's own phone for SMS checks ("-" reads it from stdin)."""
    if remove == (number is not None):
        raise Failure("Give either a NUMBER or --remove.", 2)
    result = ctx.checker.set_phone(ACTOR, name, None if remove else read_number(number))
    state = "registered" if result["sms_phone"] else "removed"
    emit(as_json, result, f"SMS phone of {result['name']!r} {state}.")


@cli.command()
@click.argument("number")
@click.option("--category", required=True, type=click.Choice(CATEGORIES))
@click.option("--date", "incident_date", help="Incident date, YYYY-MM-DD (default today).")
@click.option("--region")
@click.option("--summary")
@json_option
@pass_context
def add(ctx, number, category, incident_date, region, summary, as_json):
    """Publish a warning for NUMBER ("-" reads it from stdin)."""
    warning_id = ctx.checker.add_warning(
        ACTOR, read_number(number), category, incident_date, region, summary
    )
    emit(as_json, {"id": warning_id}, f"Warning {warning_id} published.")


@cli.command()
@click.argument("number")
@json_option
@pass_context
def check(ctx, number, as_json):
    """Any warnings for NUMBER? ("-" reads it from stdin.)"""
    checker = ctx.checker
    verdict = checker.verdict(checker.parse(read_number(number)), "cli")
    emit(as_json, verdict.as_json(), _verdict_text(verdict))


def _verdict_text(verdict) -> str:
    if not verdict.warnings:
        return (
            f"No warnings are known for {verdict.number}.\n"
            "This is no guarantee of safety: trust your instincts and take your usual precautions."
        )
    plural = "s" if verdict.warnings != 1 else ""
    lines = [
        f"WARNING: {verdict.warnings} warning{plural} for {verdict.number}: "
        f"{', '.join(verdict.categories)}. Last reported {verdict.last_reported}."
    ]
    if verdict.regions:
        lines.append("Regions: " + ", ".join(verdict.regions))
    lines += [f"- {summary}" for summary in verdict.summaries]
    return "\n".join(lines)


@cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--skip-invalid", is_flag=True, help="Store the valid rows and list the others.")
@json_option
@pass_context
def import_(ctx, file, skip_invalid, as_json):
    """Import warnings from a CSV: number,category,date,region,summary.

    All or nothing: one invalid row and nothing is stored (exit 1), unless
    --skip-invalid is given.
    """
    result = ctx.checker.import_csv(ACTOR, file, skip_invalid)
    failed = bool(result.skipped) and not skip_invalid
    if as_json:
        click.echo(json.dumps(result.as_json()))
    else:
        click.echo(f"Imported {result.imported}, skipped {result.skipped}.")
    for error in result.errors:
        click.echo(f"line {error['line']}: {error['error']}", err=True)
    if failed:
        raise Failure("Nothing was imported: fix the rows above, or use --skip-invalid.", 1)


@cli.command()
@click.argument("warning_id", metavar="ID")
@click.option("--reason", required=True, help="Why the warning is withdrawn (kept in the audit trail).")
@json_option
@pass_context
def withdraw(ctx, warning_id, reason, as_json):
    """Withdraw warning ID: it stops counting, and the audit trail keeps the reason."""
    result = ctx.checker.withdraw(ACTOR, warning_id, reason)
    emit(as_json, result, f"Warning {result['id']} withdrawn.")


@cli.command()
@json_option
@pass_context
def purge(ctx, as_json):
    """Delete warnings whose incident date is older than the retention period."""
    purged = ctx.checker.purge(ACTOR)
    emit(as_json, {"purged": purged}, f"Purged {purged} expired warnings.")


@cli.command()
@json_option
@pass_context
def stats(ctx, as_json):
    """Counts only: warnings, members, checks, hits. Never a number."""
    counts = ctx.checker.stats()
    emit(as_json, counts, "\n".join(f"{name}: {value}" for name, value in counts.items()))


@cli.command()
@click.option("--limit", type=click.IntRange(1), help="Only the newest N events.")
@json_option
@pass_context
def audit(ctx, limit, as_json):
    """Who did what when: adds, withdrawals, imports, purges, account changes."""
    events = ctx.checker.audit_events(limit)
    emit(as_json, {"events": events}, "\n".join(_event_text(event) for event in events))


def _event_text(event: dict) -> str:
    extra = " ".join(f"{k}={v}" for k, v in event.items() if k not in ("at", "actor", "action"))
    return f"{event['at']}  {event['actor']:<16} {event['action']:<20} {extra}".rstrip()


@cli.group()
def key():
    """The secret key."""


@key.command("fingerprint")
@json_option
@pass_context
def key_fingerprint(ctx, as_json):
    """Print the fingerprint of the configured key (it does not reveal the key)."""
    value = ctx.checker.key_fingerprint
    emit(as_json, {"fingerprint": value}, value)


@key.command("rotate")
@json_option
@pass_context
def key_rotate(ctx, as_json):
    """Add a new key and re-wrap every stored token under it (stop the service first).

    The key file then holds the chain of keys, oldest first: back it up at once.
    """
    from checker.rotation import rotate_key

    result = rotate_key(ctx.settings, ACTOR)
    emit(as_json, result.as_json(),
         f"Key rotated: fingerprint {result.old_fingerprint} -> {result.fingerprint}; "
         f"{result.warnings} warnings, {result.reports} reports, {result.phones} phones and "
         f"{result.access_tokens} access tokens re-wrapped.\n"
         f"Back up {result.key_file} now: the old key file alone no longer opens this database.")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
@pass_context
def backup(ctx, path, as_json):
    """Write a consistent copy of the database to PATH while the service runs (no key in it)."""
    from checker.backups import backup as make_backup

    result = make_backup(ctx.settings, path, ACTOR)
    emit(as_json, result, f"Backup written to {result['path']} "
                          f"(key fingerprint {result['key_fingerprint']}).")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
@pass_context
def restore(ctx, path, as_json):
    """Replace the instance's database with the backup at PATH, if the configured key fits."""
    from checker.backups import restore as restore_backup

    result = restore_backup(ctx.settings, path, ACTOR)
    emit(as_json, result, f"Restored {result['restored']} (backup of {result['backup_at']}).")


@cli.command()
@json_option
@pass_context
def demo(ctx, as_json):
    """Create (or re-issue tokens and passwords for) a demo caseworker and member, for trying
    things out."""
    issued = {role: ctx.checker.demo_account(ACTOR, role) for role in ("caseworker", "member")}
    emit(
        as_json,
        {role: new.as_json() for role, new in issued.items()},
        "\n".join(f"Demo {role} {new.name!r}: token {new.token}  password {new.password}"
                  for role, new in issued.items()),
    )


# Member management and the report queue (issue 5) register themselves on the groups above.
from checker import cli_desk  # noqa: E402,F401


def main():
    cli(prog_name="checker")
