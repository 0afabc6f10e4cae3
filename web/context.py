"""Access to the per-app Checker and the signed-in account from a view."""

from flask import current_app, g

from checker.service import Checker


def checker() -> Checker:
    return current_app.extensions["checker"]


def account():
    return g.get("account")
