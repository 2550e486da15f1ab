"""Chinese first, English on request, remembered; catalogs complete and compiled."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from survey.extensions import db
from survey.models import User
from tests.conftest import csrf_token

TRANSLATIONS = Path(__file__).parents[2] / "survey" / "translations"


def test_login_page_is_chinese_by_default(client):
    body = client.get("/login").get_data(as_text=True)
    assert "登录开门平台" in body and '<html lang="zh-CN">' in body


def test_language_switch_sets_a_remembered_cookie(client):
    token = csrf_token(client)
    response = client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "kaimen_lang=en" in response.headers["Set-Cookie"]
    assert "Log in to Kaimen" in client.get("/login").get_data(as_text=True)
    assert "Log in to Kaimen" in client.get("/login").get_data(as_text=True)  # still English


def test_language_switch_is_saved_for_a_logged_in_user(app, client, make_user, login):
    user_id = make_user("staff", username="polyglot")
    login("polyglot")
    token = csrf_token(client, "/dashboard")
    client.post("/language", data={"lang": "en", "csrf_token": token})
    with app.app_context():
        assert db.session.get(User, user_id).locale == "en"
    client.delete_cookie("kaimen_lang")
    assert "Welcome, " in client.get("/dashboard").get_data(as_text=True)


def test_language_switch_refuses_an_unknown_language(client):
    token = csrf_token(client)
    response = client.post("/language", data={"lang": "fr", "csrf_token": token})
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers or "kaimen_lang" not in response.headers["Set-Cookie"]


def _po(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def _key(value):
    """Plural ids and strings come as lists from .mo files and tuples from .po files."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _translated(string) -> bool:
    """Plural entries carry a tuple of forms; every form must be filled."""
    return all(string) if isinstance(string, tuple) else bool(string)


def test_every_message_has_a_chinese_translation():
    catalog = _po("zh_Hans_CN")
    untranslated = [m.id for m in catalog if m.id and (not _translated(m.string) or m.fuzzy)]
    assert untranslated == []


def test_template_catalog_covers_the_chinese_catalog():
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template_ids = {m.id for m in read_po(handle) if m.id}
    assert template_ids == {m.id for m in _po("zh_Hans_CN") if m.id}


def test_compiled_catalogs_match_their_sources():
    for locale in ("zh_Hans_CN", "en"):
        with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as handle:
            # pybabel writes untranslated plural entries with the English forms as fallback.
            compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id and _key(m.string) != _key(m.id)}
        # A translation identical to its source ("JSON") is filtered on both sides alike.
        source = {_key(m.id): _key(m.string) for m in _po(locale)
                  if m.id and _translated(m.string) and _key(m.string) != _key(m.id)}
        assert compiled == source, f"run: pybabel compile -d survey/translations ({locale})"
