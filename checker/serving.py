"""``checker serve``: the web app under waitress, a production WSGI server, in one process.

The app is named by the same string gunicorn is given (``web:create_app``),
so the domain package never imports the web layer that sits above it.
"""

import importlib
import logging
import os
import signal
import sys

from checker.errors import SetupProblem

APP_FACTORY = "web:create_app"


def load_app_factory(spec: str = APP_FACTORY):
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def serve_app(instance, host: str, port: int, threads: int) -> None:
    import waitress

    if instance:
        os.environ["CHECKER_INSTANCE"] = str(instance)
    # One process: in-memory rate limits are exact here, so no warning about them.
    os.environ.setdefault("CHECKER_SINGLE_PROCESS", "1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = load_app_factory()()
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads, ident="checker")
    except OSError as exc:
        raise SetupProblem(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from None
    logging.getLogger("checker").info("serving on http://%s:%d", host, port)
    # SIGTERM ends the serving loop like Ctrl-C does, so that atexit handlers run (the check
    # counters write their pending counts, see checker.counters) instead of dying mid-way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.run()
