"""The web layer: HTTP in, Checker calls, JSON or HTML out. Nothing else lives here."""

from web.app import create_app

__all__ = ["create_app"]
