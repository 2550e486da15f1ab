"""The analysis page and its downloads, on demo-like data (the demo needs survey, synthetic responses)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re

import openpyxl
import pyreadstat
import pytest

from survey.demo_questionnaires import needs_questionnaire
from survey.demo_responses import demo_units, synthetic_responses
from survey.extensions import db
from survey.models import QuestionnaireKind
from survey.services import questionnaires as qs
from survey.services.answer_columns import ImportRecord, bulk_import_responses
from tests.survey.round_builders import seed_world

N = 1500
ROUTES = ("analysis", "analysis.json", "analysis.csv", "analysis/responses.csv", "analysis/responses.xlsx",
          "analysis/responses.sav", "analysis/responses.json", "analysis/report.pdf")


@pytest.fixture
def demo_like(app):
    """The demo needs questionnaire with 1,500 synthetic responses from the seeded units; its id."""
    with app.app_context():
        units = seed_world()
        sources = [u for u in demo_units() if u[0] in units]
        questionnaire = qs.create_questionnaire(spec=needs_questionnaire(), kind=QuestionnaireKind.NEEDS)
        qs.publish_questionnaire(questionnaire=questionnaire)
        records = [ImportRecord(answers=r.answers, unit_id=units[r.unit_code].id, submitted_on=r.submitted_on)
                   for r in synthetic_responses(needs_questionnaire(), N, seed=21, units=sources)]
        bulk_import_responses(questionnaire, records, validate=False)
        db.session.commit()
        return questionnaire.id


@pytest.fixture
def staff(client, make_user, login):
    make_user("staff", username="analyst")
    client.set_cookie("kaimen_lang", "en")
    login("analyst")
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_priority_questions_charts_and_participation(app, demo_like, staff):
    page = staff.get(f"/staff/questionnaires/{demo_like}/analysis")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="n">1,500<' in html
    assert 'data-testid="priority"' in html and 'data-testid="participation"' in html
    for qid in ("sub_district", "needs", "top_services", "work_satisfaction", "overtime_hours", "home_why"):
        assert f'data-testid="question-{qid}"' in html
    assert html.count("<svg") >= 20 and "chart-whisker" in html and "seg seg-" in html
    text = _text(html)
    assert "Health checks" in text and "Cronbach's alpha of the rows:" in text
    # No inline script or style anywhere (the Content-Security-Policy forbids them).
    assert " style=" not in html and "<style" not in html
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_questionnaire_tabs_link_to_the_analysis(app, demo_like, staff):
    html = staff.get(f"/staff/questionnaires/{demo_like}/monitor").get_data(as_text=True)
    assert f'href="/staff/questionnaires/{demo_like}/analysis"' in html


def test_filters_narrow_the_view(app, demo_like, staff):
    base = f"/staff/questionnaires/{demo_like}/analysis"
    women = staff.get(f"{base}?a_gender=female").get_data(as_text=True)
    count = int(re.search(r'data-testid="n">([\d,]+)<', women).group(1).replace(",", ""))
    assert 0 < count < N
    assert "Your gender: Female" in _text(women)
    payload = json.loads(staff.get(f"{base}.json?a_gender=female").data)
    assert payload["n"] == count and payload["filters"][0]["value"] == "Female"


def test_the_breakdown_picker_shows_marked_cells(app, demo_like, staff):
    html = staff.get(f"/staff/questionnaires/{demo_like}/analysis?by=age_band").get_data(as_text=True)
    assert 'data-testid="breakdown"' in html
    assert "cell-over" in html and "cell-under" in html and "χ² =" in html and "H =" in html
    assert 'data-testid="breakdown-needs"' in html
    by_unit = staff.get(f"/staff/questionnaires/{demo_like}/analysis.json?by=_sub_district")
    tables = json.loads(by_unit.data)["breakdown"]["tables"]
    assert any(t["significant"] for t in tables)


def test_a_refused_filter_says_why_and_shows_no_figures(app, demo_like, staff):
    base = f"/staff/questionnaires/{demo_like}/analysis"
    html = staff.get(f"{base}?date_from=2016-03-01&date_to=2016-03-01").get_data(as_text=True)
    # One day of the fieldwork is too narrow or too close to its neighbours; either way, no figures.
    if 'data-testid="refusal"' in html:
        assert 'data-testid="priority"' not in html
    bad = staff.get(f"{base}?a_gender=female&a_age_band=55plus&a_industry=finance&a_tenure=lt1")
    body = bad.get_data(as_text=True)
    assert 'data-testid="refusal"' in body and "respondents" in _text(body)
    refused = staff.get(f"{base}.json?a_gender=female&a_age_band=55plus&a_industry=finance&a_tenure=lt1")
    assert refused.status_code == 400 and b"respondents" in refused.data


def test_bad_form_input_is_reported(app, demo_like, staff):
    base = f"/staff/questionnaires/{demo_like}/analysis"
    page = staff.get(f"{base}?date_from=2016-05-02&date_to=2016-05-01")
    assert page.status_code == 400 and "The last day comes before the first day." in page.get_data(as_text=True)
    assert staff.get(f"{base}?unit=999999").status_code == 400
    assert staff.get(f"{base}.csv?by=nonsense").status_code == 400


def test_results_download_as_csv_and_json(app, demo_like, staff):
    base = f"/staff/questionnaires/{demo_like}/analysis"
    response = staff.get(f"{base}.csv?by=age_band")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0]["measure"] == "responses" and rows[0]["value"] == str(N)
    assert {r["part"] for r in rows} == {"view", "question", "priority", "breakdown", "participation"}
    payload = json.loads(staff.get(f"{base}.json").data)
    assert payload["n"] == N and len(payload["questions"]) == 25


def test_responses_download_in_every_format(app, demo_like, staff, tmp_path):
    base = f"/staff/questionnaires/{demo_like}/analysis/responses"
    response = staff.get(f"{base}.csv?a_gender=male")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["response_id", "version"] and 0 < len(rows) - 1 < N
    males = len(rows) - 1
    xlsx = tmp_path / "r.xlsx"
    xlsx.write_bytes(staff.get(f"{base}.xlsx?a_gender=male").data)
    book = openpyxl.load_workbook(xlsx, read_only=True)
    assert "codebook" in book.sheetnames
    assert sum(1 for _ in book[book.sheetnames[0]].iter_rows()) - 1 == males
    sav = tmp_path / "r.sav"
    sav.write_bytes(staff.get(f"{base}.sav").data)
    frame, meta = pyreadstat.read_sav(str(sav))
    assert len(frame) == N and meta.column_names_to_labels["gender"]
    assert len(json.loads(staff.get(f"{base}.json?a_gender=male").data)) == males
    assert staff.get(f"{base}.pdf").status_code == 404


def test_the_report_route_waits_for_the_report_service(app, demo_like, staff):
    response = staff.get(f"/staff/questionnaires/{demo_like}/analysis/report.pdf")
    if importlib.util.find_spec("survey.services.needs_report") is None:
        assert response.status_code == 404 and b"not available" in response.data
    else:
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert response.data.startswith(b"%PDF")


@pytest.mark.parametrize("role", ["representative", "evaluator"])
def test_representatives_and_evaluators_are_refused(app, demo_like, client, make_user, login, role):
    make_user(role, username=f"probe-{role}")
    login(f"probe-{role}")
    for route in ROUTES:
        assert client.get(f"/staff/questionnaires/{demo_like}/{route}").status_code == 403, route


def test_admins_may_use_the_page_and_strangers_must_log_in(app, demo_like, client, make_user, login):
    assert client.get(f"/staff/questionnaires/{demo_like}/analysis").status_code == 302
    make_user("admin", username="boss")
    login("boss")
    assert client.get(f"/staff/questionnaires/{demo_like}/analysis").status_code == 200
    assert client.get("/staff/questionnaires/999999/analysis").status_code == 404


def test_the_page_works_before_any_response_and_for_a_draft(app, staff):
    from tests.survey.analysis_builders import analysis_spec

    with app.app_context():
        draft = qs.create_questionnaire(spec=analysis_spec(), kind=QuestionnaireKind.NEEDS)
        published = qs.create_questionnaire(spec=analysis_spec(), kind=QuestionnaireKind.NEEDS)
        qs.publish_questionnaire(questionnaire=published)
        db.session.commit()
        ids = (draft.id, published.id)
    for qid in ids:
        page = staff.get(f"/staff/questionnaires/{qid}/analysis")
        assert page.status_code == 200
        assert 'data-testid="n">0<' in page.get_data(as_text=True)
    # Only published versions have a codebook: a draft has no questions to break down by yet.
    assert staff.get(f"/staff/questionnaires/{ids[0]}/analysis.json?by=gender").status_code == 400
    payload = json.loads(staff.get(f"/staff/questionnaires/{ids[1]}/analysis.json?by=gender").data)
    assert payload["n"] == 0 and all(q["respondents"] in (0, None) for q in payload["questions"])
