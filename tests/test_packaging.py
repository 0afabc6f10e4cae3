"""What ships: the committed translation catalogs match their sources and cover every text,
and a built (non-editable) wheel holds the templates, static files, catalogs and OpenAPI file."""

import io
import shutil
import subprocess
import sys
import zipfile

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from conftest import ROOT

WEB = ROOT / "web"
LANGUAGES = ("nl", "en")


def catalog(language: str, suffix: str):
    path = WEB / "translations" / language / "LC_MESSAGES" / f"messages.{suffix}"
    with open(path, "rb") as f:
        return read_po(f) if suffix == "po" else read_mo(f)


def _plain(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def is_translated(message) -> bool:
    strings = _plain(message.string)
    return not message.fuzzy and all(strings if isinstance(strings, tuple) else [strings])


def translated(cat) -> dict:
    """id -> translation, for the messages a compiled catalog holds (translated, not fuzzy)."""
    return {_plain(m.id): _plain(m.string) for m in cat if m.id and is_translated(m)}


def compiled(language: str):
    """The .po compiled now, in memory, as `pybabel compile` would."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog(language, "po"))
    buffer.seek(0)
    return read_mo(buffer)


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_matches_po(language):
    committed = translated(catalog(language, "mo"))
    assert committed == translated(compiled(language)), (
        f"web/translations/{language} is out of date: run "
        "`pybabel compile -d web/translations`"
    )


def extracted_ids() -> set:
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB), method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogs_hold_exactly_the_texts_in_the_code(language):
    in_code = extracted_ids()
    in_catalog = {_plain(message.id) for message in catalog(language, "po") if message.id}
    assert in_code, "no texts extracted"
    assert in_code - in_catalog == set(), "texts missing from the catalog: run pybabel update"
    assert in_catalog - in_code == set(), "stale texts in the catalog: run pybabel update"


def test_every_text_has_a_dutch_translation():
    untranslated = [m.id for m in catalog("nl", "po") if m.id and not is_translated(m)]
    assert untranslated == []


def test_every_category_has_a_name():
    from checker.warnings import CATEGORIES
    from web.i18n import CATEGORY_NAMES

    assert set(CATEGORY_NAMES) == set(CATEGORIES)


def test_every_invalid_number_reason_has_a_message():
    from hashing.numbers import _MESSAGES
    from web.i18n import INVALID_NUMBER

    assert set(INVALID_NUMBER) == set(_MESSAGES)


@pytest.mark.slow
def test_wheel_ships_templates_static_files_catalogs_and_openapi(tmp_path):
    # Build from a clean copy, so that a stale build/ folder cannot hide a missing file.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "instance", "test-artifacts",
        "__pycache__", ".pytest_cache", ".hypothesis"))
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
         str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "web/openapi.json",
        "web/static/site.css",
        "web/static/site.js",
        "web/static/favicon.ico",
        "web/translations/nl/LC_MESSAGES/messages.mo",
        "web/translations/en/LC_MESSAGES/messages.mo",
    } | {f"web/templates/{path.name}" for path in (WEB / "templates").glob("*.html")}
    assert len(expected) > 8
    assert expected - names == set()
