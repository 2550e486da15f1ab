"""The public verification page: which published report and version is this file or hash?"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime

import pytest

from survey.extensions import db
from survey.services import publications
from tests.conftest import csrf_token
from tests.survey.test_publications import _resubmit, scored_round


@pytest.fixture
def published(app):
    """Round 2014 published twice (version 2 corrects a scorecard); the files of both versions."""
    with app.app_context():
        round = scored_round()
        first = publications.publish(round=round, by=None, now=datetime(2014, 7, 1, 2, 0, tzinfo=UTC))
        _resubmit(round, "XC-D06", 0.0)
        second = publications.publish(round=round, by=None, note="更正一张评分表",
                                      now=datetime(2014, 7, 3, 2, 0, tzinfo=UTC))
        db.session.commit()
        files = {(p.version, f.kind, f.unit_id): (f.filename, f.sha256, f.content)
                 for p in (first, second) for f in p.files}
        return {"round": round.name, "files": files}


@pytest.fixture
def english(client):
    client.set_cookie("kaimen_lang", "en")
    return client


def _file(published, version: int, kind: str):
    return next(v for (ver, k, _u), v in published["files"].items() if ver == version and k == kind)


def _post(client, **data):
    token = csrf_token(client, "/verify")
    return client.post("/verify", data={"csrf_token": token, **data}, content_type="multipart/form-data")


def _text(response) -> str:
    page = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_the_page_needs_no_login(english):
    page = english.get("/verify")
    assert page.status_code == 200
    assert "Verify a published file" in page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)


def test_an_uploaded_file_names_its_report_version_and_publication_time(english, published):
    name, digest, content = _file(published, 1, "bundle")
    response = _post(english, file=(io.BytesIO(content), "downloaded.zip"))
    assert response.status_code == 200
    text = _text(response)
    assert "This file is a published Kaimen file." in text
    assert "Reproducibility bundle" in text and name in text
    assert published["round"] in text and "Version 1" in text
    assert "2014-07-01 10:00" in text  # Beijing time
    assert digest in text
    assert "the round's latest version is 2" in text  # corrected since
    assert "href" not in response.get_data(as_text=True).split('data-testid="verify-answer"')[1]  # no links to files


def test_a_pasted_hash_gives_the_same_answer(english, published):
    name, digest, _content = _file(published, 2, "raw_scores")
    response = _post(english, sha256=f"  {digest.upper()[:32]} {digest.upper()[32:]}\n")
    assert response.status_code == 200
    text = _text(response)
    assert "Anonymised raw scores" in text and name in text and "Version 2" in text
    assert "2014-07-03 10:00" in text and "更正一张评分表" in text
    assert "has since been replaced" not in text


def test_a_unit_report_names_its_unit(english, published):
    reports = [v for (ver, kind, _u), v in published["files"].items() if kind == "unit_report" and ver == 1]
    if not reports:
        pytest.skip("no unit reports are built")
    name, digest, _content = sorted(reports)[0]
    text = _text(_post(english, sha256=digest))
    assert "Unit report:" in text and name in text


def test_a_hash_that_matches_nothing_says_so_clearly(english, published):
    response = _post(english, sha256=hashlib.sha256(b"something else").hexdigest())
    assert response.status_code == 200
    text = _text(response)
    assert "This matches nothing Kaimen has published." in text
    assert "No published file has this SHA-256" in text
    _name, _digest, content = _file(published, 1, "round_report" if any(
        k == "round_report" for (_v, k, _u) in published["files"]) else "bundle")
    changed = _post(english, file=(io.BytesIO(content + b"\n"), "changed.pdf"))
    assert "This matches nothing Kaimen has published." in _text(changed)


@pytest.mark.parametrize("pasted", ["abc", "g" * 64, "0" * 63, "0" * 65, "<script>alert(1)</script>"])
def test_a_malformed_hash_is_explained(english, published, pasted):
    response = _post(english, sha256=pasted)
    assert response.status_code == 400
    text = _text(response)
    assert "A SHA-256 must be 64 hexadecimal characters" in text
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_nothing_given_or_both_given(english, published):
    assert "Choose a file or paste a SHA-256" in _text(_post(english))
    _name, digest, content = _file(published, 1, "bundle")
    both = _post(english, sha256=digest, file=(io.BytesIO(content), "x.zip"))
    assert both.status_code == 400 and "not both" in _text(both)


def test_the_form_needs_its_csrf_token(english, published):
    response = english.post("/verify", data={"sha256": "0" * 64})
    assert response.status_code == 400


def test_uploads_beyond_the_limit_are_refused(english, app):
    token = csrf_token(english, "/verify")
    big = io.BytesIO(b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    response = english.post("/verify", data={"csrf_token": token, "file": (big, "big.pdf")},
                            content_type="multipart/form-data")
    assert response.status_code == 413


def test_the_answer_is_in_chinese_by_default(client, published):
    _name, digest, _content = _file(published, 1, "bundle")
    text = _text(_post(client, sha256=digest))
    assert re.search(r"[\u4e00-\u9fff]", text)
    assert published["round"] in text
