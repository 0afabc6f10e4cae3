"""The baseline for the HTTP benchmark: a bare Flask JSON endpoint, nothing else.

It parses the JSON body and answers a small JSON object, like ``/api/v1/check``
does, but without authentication, limits, hashing or a database. Served by
``bench/run.py`` under the same gunicorn settings as the real app.
"""

from flask import Flask, request

app = Flask(__name__)


@app.post("/api/v1/check")
def check():
    body = request.get_json(force=True, silent=True) or {}
    return {"number": str(body.get("number", "")), "warnings": 0, "categories": [],
            "last_reported": None}
