"""Checklist: a spoofed Host header never changes a link; PDFs print payloads literally.

Links that open something without a password (the join QR codes on the session sheet, the
questionnaire's public link and QR) are built on ``KAIMEN_BASE_URL`` when it is set, so no
request header can change them. Without it they follow the request's host, which a deployment
pins with ``KAIMEN_TRUSTED_HOSTS`` (Flask's ``TRUSTED_HOSTS``: any other Host is refused with a
plain-text 400, built without ``url_for``). With
``TRUSTED_PROXIES=0`` (the default) X-Forwarded-Host is never read. Redirects carry relative
``Location`` headers, so they stay on whatever host the browser asked.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from survey import create_app
from survey.extensions import db
from survey.models import LoginAttempt
from tests.conftest import csrf_token
from tests.security.builders import payload_world

#: Only the PDF checks need poppler; the host checks run everywhere.
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
EVIL = "evil.example.net"


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def spoofed(client) -> dict:
    """Request arguments that send Host: evil.example.net with the client's own session cookie."""
    for name in ("kaimen_session", "kaimen_lang"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            client.set_cookie(name, cookie.value, domain=EVIL)
    return {"base_url": f"http://{EVIL}"}


@pytest.fixture
def world(app):
    with app.app_context():
        return payload_world()


@pytest.fixture
def staff(client, make_user, login):
    make_user("staff", username="hoststaff")
    login("hoststaff")
    client.set_cookie("kaimen_lang", "en")
    return client


@needs_pdftotext
def test_the_session_sheet_links_ignore_a_spoofed_host_and_print_payloads_literally(app, staff, world, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://kaimen.example.org")
    plan = f"/staff/rounds/{world.round_id}/plan"
    token = csrf_token(staff, plan)
    response = staff.post(f"/staff/rounds/{world.round_id}/sessions/{world.session_id}/sheet",
                          data={"csrf_token": token},
                          headers={"X-Forwarded-Host": EVIL}, **spoofed(staff))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert EVIL.encode() not in response.data
    text = pdf_text(response.data, tmp_path)
    assert EVIL not in text
    assert "kaimen.example.org/join" in text.replace("\n", "")
    flat = re.sub(r"\s+", "", text)
    # The unit's name and the place, printed as characters: ReportLab interpreted no markup.
    assert "<script>alert(1)</script>" in flat and "<fontcolor=red>RL1</font>" in flat
    assert '<imgsrc="/etc/passwd"/>' in flat


def test_x_forwarded_host_is_ignored_without_trusted_proxies(app, staff, world):
    assert not app.config.get("TRUSTED_PROXIES")
    page = staff.get(f"/staff/questionnaires/{world.questionnaire_id}/distribution",
                     headers={"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert EVIL not in body and f"http://localhost/q/{world.slug}" in body


def test_with_base_url_the_questionnaire_link_and_qr_ignore_the_host(app, staff, world, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://kaimen.example.org/")
    page = staff.get(f"/staff/questionnaires/{world.questionnaire_id}/distribution", **spoofed(staff))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert EVIL not in body and f"https://kaimen.example.org/q/{world.slug}" in body
    qr = staff.get(f"/staff/questionnaires/{world.questionnaire_id}/qr.svg", **spoofed(staff))
    assert qr.status_code == 200 and EVIL.encode() not in qr.data


def test_redirects_are_relative(client):
    response = client.get("/dashboard", headers={"Host": EVIL})
    assert response.status_code == 302
    assert not response.headers["Location"].startswith(("http:", "https:", "//"))


TRUSTED = "kaimen.example.org"


@pytest.fixture
def pinned(base_app, tmp_path, monkeypatch):
    """An app pinned to one host the way a deployment pins it: through the environment."""
    monkeypatch.setenv("KAIMEN_TRUSTED_HOSTS", f" {TRUSTED} , .phones.example.org ,")
    app = create_app({"TESTING": True, "DATABASE_URL": base_app.config["DATABASE_URL"], "SECRET_KEY": "x",
                      "INSTANCE_PATH": str(tmp_path)})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_trusted_hosts_come_from_the_environment_as_a_comma_separated_list(pinned, tmp_path, monkeypatch):
    assert pinned.config["TRUSTED_HOSTS"] == [TRUSTED, ".phones.example.org"]
    monkeypatch.setenv("KAIMEN_TRUSTED_HOSTS", " , ")  # empty: not set, every host answered
    assert create_app({"INSTANCE_PATH": str(tmp_path / "other")}).config["TRUSTED_HOSTS"] is None
    monkeypatch.delenv("KAIMEN_TRUSTED_HOSTS")
    assert create_app({"INSTANCE_PATH": str(tmp_path / "unset")}).config["TRUSTED_HOSTS"] is None


def test_trusted_hosts_refuse_to_start_on_a_flask_that_would_ignore_them(tmp_path, monkeypatch):
    """Flask reads TRUSTED_HOSTS from 3.1 on; on an older one the setting must not pass silently."""
    from flask import Flask

    older = {key: value for key, value in Flask.default_config.items() if key != "TRUSTED_HOSTS"}
    monkeypatch.setattr(Flask, "default_config", older)
    with pytest.raises(RuntimeError, match="needs Flask 3.1"):
        create_app({"INSTANCE_PATH": str(tmp_path), "TRUSTED_HOSTS": [TRUSTED]})
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["TRUSTED_HOSTS"] is None  # unset: no need


def test_trusted_hosts_refuses_any_other_host(pinned):
    client = pinned.test_client()
    assert client.get("/login", headers={"Host": TRUSTED}).status_code == 200
    assert client.get("/login", headers={"Host": f"{TRUSTED}:8443"}).status_code == 200  # the port is not checked
    assert client.get("/login", headers={"Host": "a.phones.example.org"}).status_code == 200
    for path in ("/login", "/dashboard", "/no-such-page", "/join", "/static/css/kaimen.css"):
        response = client.get(path, headers={"Host": EVIL})
        assert response.status_code == 400, path
        # A plain page: no template (its layout needs url_for, which has no adapter here), no link.
        assert response.mimetype == "text/plain"
        assert response.get_data(as_text=True) == "400 请求有误\n\n无法识别该请求。\n"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "Set-Cookie" not in response.headers
        assert "Location" not in response.headers


def test_an_untrusted_host_is_refused_before_a_form_is_handled(pinned):
    client = pinned.test_client()
    page = client.get("/login", base_url=f"http://{TRUSTED}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.set_cookie("kaimen_session", client.get_cookie("kaimen_session", domain=TRUSTED).value, domain=EVIL)
    response = client.post("/login", base_url=f"http://{EVIL}",
                           data={"username": "pinned-probe", "password": "correct-horse-9", "csrf_token": token})
    # The CSRF token was good (that refusal would name it): the host is what was refused.
    assert response.status_code == 400 and response.get_data(as_text=True) == "400 请求有误\n\n无法识别该请求。\n"
    with pinned.app_context():  # the login view never ran: no failed attempt was counted
        assert db.session.scalar(select(func.count()).select_from(LoginAttempt)
                                 .where(LoginAttempt.username == "pinned-probe")) == 0


def test_an_untrusted_host_gets_json_from_the_api(pinned):
    response = pinned.test_client().get("/api/v1/openapi.json", headers={"Host": EVIL})
    assert response.status_code == 400
    assert response.get_json() == {"error": 400, "message": "无法识别该请求。"}


@needs_pdftotext
def test_needs_report_and_round_preview_print_payloads_literally(app, staff, world, tmp_path):
    response = staff.get(f"/staff/questionnaires/{world.questionnaire_id}/analysis/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    flat = re.sub(r"\s+", "", pdf_text(response.data, tmp_path))
    assert "<script>alert(1)</script>" in flat
    assert "<fontcolor=red>RL1</font>" in flat
    assert response.headers["X-Content-Type-Options"] == "nosniff"
