"""Interface language: Chinese by default, English on request, remembered.

Order: the logged-in user's saved choice, then the ``kaimen_lang`` cookie set
by the language switch, then ``zh_CN``. The browser's Accept-Language is not
consulted: the platform is Chinese-first by design. Outside a request (the
``kaimen`` command) messages are English.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from flask import current_app, has_request_context, request
from flask_login import current_user

LANG_COOKIE = "kaimen_lang"


def supported_locale(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("-", "_")
    for lang in current_app.config["LANGUAGES"]:
        if value.lower() == lang.lower():
            return lang
    return None


def select_locale() -> str:
    if not has_request_context():
        # Command-line output is English, like the rest of the kaimen command's messages.
        return current_app.config.get("CLI_LOCALE", "en")
    if current_user and getattr(current_user, "is_authenticated", False):
        chosen = supported_locale(current_user.locale)
        if chosen:
            return chosen
    return supported_locale(request.cookies.get(LANG_COOKIE)) or current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=16)
def _parsed(identifier: str) -> Locale:
    return Locale.parse(identifier)


def babel_locale() -> Locale:
    """Flask-Babel's locale selector: :func:`select_locale` as a parsed ``Locale``.

    Flask-Babel parses a string on every request (about a millisecond, most of a
    small API request); a parsed locale is returned as it is.
    """
    return _parsed(select_locale())
