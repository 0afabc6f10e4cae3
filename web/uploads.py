"""Uploaded files stay in memory: a CSV of warnings holds phone numbers, so it must never be
spooled to a temporary file on disk (werkzeug's default for parts over 500 kB).

The request body is bounded by ``MAX_CONTENT_LENGTH`` (64 KiB, which keeps the JSON API
small), raised only for the caseworkers' import page to ``CHECKER_MAX_IMPORT_LENGTH``
(5 MiB by default): so an upload holds at most that much memory per request.
"""

from io import BytesIO

from flask import Request, current_app, request

DEFAULT_MAX_IMPORT_LENGTH = 5 * 1024 * 1024


class InMemoryUploads(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        return BytesIO()


def allow_import_upload() -> None:
    """Raise the body limit for this request only (before its form is read)."""
    limit = current_app.config.get("MAX_IMPORT_LENGTH", DEFAULT_MAX_IMPORT_LENGTH)
    request.max_content_length = int(limit)
    request.max_form_memory_size = int(limit)


def register(app) -> None:
    app.request_class = InMemoryUploads
