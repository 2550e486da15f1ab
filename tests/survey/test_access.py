"""Every route declares who may use it; this table is checked against ``app.url_map``.

Adding a route without adding it here fails ``test_every_route_is_in_the_table``.
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token

ANYONE = "anyone"
LOGGED_IN = "logged in"
ROLES = ("admin", "staff", "representative", "evaluator")
STAFF = {"admin", "staff"}
#: Public routes that identify a scoring phone by its ``kaimen_rater`` cookie, not a login:
#: without that cookie they answer 401 whoever is logged in.
RATER = "rater phone"
#: Who may read published results and closed questionnaires (staff check what evaluators get).
EVALUATORS = {"admin", "staff", "evaluator"}

#: endpoint -> (methods besides HEAD/OPTIONS, who may use it)
ROUTES = {
    "static": ({"GET"}, ANYONE),
    "main.index": ({"GET"}, ANYONE),
    "main.health": ({"GET"}, ANYONE),
    "main.set_language": ({"POST"}, ANYONE),
    "main.dashboard": ({"GET"}, LOGGED_IN),
    "auth.login": ({"GET", "POST"}, ANYONE),
    "auth.logout": ({"POST"}, LOGGED_IN),
    "staff.unit_overview": ({"GET"}, {"admin", "staff", "evaluator"}),
    "staff.unit_detail": ({"GET"}, {"admin", "staff", "evaluator"}),
    "staff.users": ({"GET", "POST"}, {"admin"}),
    "staff.toggle_user": ({"POST"}, {"admin"}),
    "api.openapi_document": ({"GET"}, ANYONE),
    "api.get_questionnaire": ({"GET"}, ANYONE),
    "api.submit_response": ({"POST"}, ANYONE),
    "questionnaires.index": ({"GET"}, STAFF),
    "questionnaires.detail": ({"GET"}, STAFF),
    "questionnaires.publish": ({"POST"}, STAFF),
    "questionnaires.close": ({"POST"}, STAFF),
    "questionnaires.preview": ({"GET"}, STAFF),
    "questionnaires.distribute": ({"GET"}, STAFF),
    "questionnaires.qr": ({"GET"}, STAFF),
    "questionnaires.create_invites": ({"POST"}, STAFF),
    "questionnaires.upload_invites": ({"POST"}, STAFF),
    "questionnaires.set_target": ({"POST"}, STAFF),
    "questionnaires.monitor": ({"GET"}, STAFF),
    "respond.landing": ({"GET"}, ANYONE),
    "respond.start": ({"POST"}, ANYONE),
    "respond.resume": ({"POST"}, ANYONE),
    "respond.section": ({"GET", "POST"}, ANYONE),
    "respond.done": ({"GET"}, ANYONE),
    "builder.new": ({"GET", "POST"}, STAFF),
    "builder.import_file": ({"GET", "POST"}, STAFF),
    "builder.export": ({"GET"}, STAFF),
    "builder.edit": ({"GET"}, STAFF),
    "builder.settings": ({"GET", "POST"}, STAFF),
    "builder.add_question": ({"GET", "POST"}, STAFF),
    "builder.question": ({"GET", "POST"}, STAFF),
    "builder.move_question": ({"POST"}, STAFF),
    "builder.duplicate_question": ({"POST"}, STAFF),
    "builder.delete_question": ({"POST"}, STAFF),
    "builder.add_section": ({"POST"}, STAFF),
    "builder.section": ({"GET", "POST"}, STAFF),
    "builder.move_section": ({"POST"}, STAFF),
    "builder.delete_section": ({"POST"}, STAFF),
    "frameworks.index": ({"GET"}, STAFF | {"evaluator"}),
    "frameworks.detail": ({"GET"}, STAFF | {"evaluator"}),
    "frameworks.export": ({"GET"}, STAFF | {"evaluator"}),
    "frameworks.new": ({"GET", "POST"}, STAFF),
    "frameworks.import_file": ({"GET", "POST"}, STAFF),
    "frameworks.edit": ({"GET"}, STAFF),
    "frameworks.details": ({"GET", "POST"}, STAFF),
    "frameworks.add_area": ({"GET", "POST"}, STAFF),
    "frameworks.area": ({"GET", "POST"}, STAFF),
    "frameworks.delete_area": ({"POST"}, STAFF),
    "frameworks.add_criterion": ({"GET", "POST"}, STAFF),
    "frameworks.criterion": ({"GET", "POST"}, STAFF),
    "frameworks.delete_criterion": ({"POST"}, STAFF),
    "rounds.index": ({"GET"}, STAFF),
    "rounds.new": ({"GET", "POST"}, STAFF),
    "rounds.edit": ({"GET", "POST"}, STAFF),
    "rounds.detail": ({"GET"}, STAFF),
    "rounds.add_unit": ({"POST"}, STAFF),
    "rounds.remove_unit": ({"POST"}, STAFF),
    "rounds.schedule": ({"POST"}, STAFF),
    "rounds.open_round": ({"POST"}, STAFF),
    "rounds.import_raters": ({"GET", "POST"}, STAFF),
    "rounds.pick_raters": ({"POST"}, STAFF),
    "rounds.remove_rater": ({"POST"}, STAFF),
    "rounds.conflicts_matrix": ({"GET"}, STAFF),
    "rounds.conflicts_csv": ({"GET"}, STAFF),
    "rounds.record_conflict": ({"POST"}, STAFF),
    "rounds.remove_conflict": ({"POST"}, STAFF),
    "rounds.plan": ({"GET"}, STAFF),
    "rounds.solve": ({"POST"}, STAFF),
    "rounds.add_member": ({"POST"}, STAFF),
    "rounds.remove_member": ({"POST"}, STAFF),
    "rounds.session_sheet": ({"POST"}, STAFF),
    "sessions.control": ({"GET"}, STAFF),
    "sessions.open_session": ({"POST"}, STAFF),
    "sessions.close_session": ({"POST"}, STAFF),
    "sessions.reopen_scorecard": ({"POST"}, STAFF),
    "sessions.revoke_rater": ({"POST"}, STAFF),
    "sessions.live": ({"GET"}, STAFF),
    "sessions.live_json": ({"GET"}, STAFF),
    "scoring.join": ({"GET"}, ANYONE),
    "scoring.join_post": ({"POST"}, ANYONE),
    "scoring.leave": ({"POST"}, ANYONE),
    "scoring.service_worker": ({"GET"}, ANYONE),
    "scoring.my_sessions": ({"GET"}, RATER),
    "scoring.scorecard": ({"GET"}, RATER),
    "scoring.scorecard_post": ({"POST"}, RATER),
    "scoring.receipt": ({"GET"}, RATER),
    "scoring.conflict": ({"POST"}, RATER),
    "scoring.api_session": ({"GET"}, RATER),
    "scoring.api_changes": ({"POST"}, RATER),
    "scoring.api_submit": ({"POST"}, RATER),
    "scoring.api_conflict": ({"POST"}, RATER),
    "analysis.page": ({"GET"}, STAFF),
    "analysis.results_json": ({"GET"}, STAFF),
    "analysis.results_csv": ({"GET"}, STAFF),
    "analysis.export_responses": ({"GET"}, STAFF),
    "analysis.needs_report_pdf": ({"GET"}, STAFF),
    "evaluator.index": ({"GET"}, EVALUATORS),
    "evaluator.round_detail": ({"GET"}, EVALUATORS),
    "evaluator.download_file": ({"GET"}, EVALUATORS),
    "evaluator.questionnaire_detail": ({"GET"}, EVALUATORS),
    "evaluator.export_responses": ({"GET"}, EVALUATORS),
    "evaluator.needs_report": ({"GET"}, EVALUATORS),
    "publishing.preview": ({"GET"}, STAFF),
    "publishing.publish": ({"POST"}, STAFF),
    "publishing.versions": ({"GET"}, STAFF),
    "publishing.download_file": ({"GET"}, STAFF),
    "verify.index": ({"GET", "POST"}, ANYONE),
}


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint)


def _url(rule) -> str:
    """Fill placeholders with values that match nothing: access is decided before lookup."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        values[name] = 999_999 if converter == "IntegerConverter" else "kaimen.css" if name == "filename" else "x"
    return rule.build(values, append_unknown=False)[1]


def test_every_route_is_in_the_table(app):
    assert {rule.endpoint for rule in app.url_map.iter_rules()} == set(ROUTES)


def test_every_route_accepts_only_its_declared_methods(app):
    for rule in _rules(app):
        methods = set(rule.methods) - {"HEAD", "OPTIONS"}
        assert methods == ROUTES[rule.endpoint][0], rule.endpoint


def _allowed(audience, role: str | None) -> bool:
    if audience == ANYONE:
        return True
    if role is None:
        return False
    return audience == LOGGED_IN or role in audience


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_route_against_every_role(app, client, make_user, login, role):
    if role is not None:
        make_user(role, username=f"probe-{role}")
        assert login(f"probe-{role}").status_code == 302
    for rule in _rules(app):
        if rule.endpoint == "auth.logout":
            continue  # checked last: it would end the probe's session
        methods, audience = ROUTES[rule.endpoint]
        for method in sorted(methods):
            status, location = _request(client, rule, method)
            if audience == RATER:
                assert status == 401, (rule.endpoint, method, role, status)
            elif _allowed(audience, role):
                assert status not in (401, 403), (rule.endpoint, method, role, status)
                assert not location.startswith("/login?next="), (rule.endpoint, method, role)
            elif role is None:
                assert status == 401 or location.startswith("/login?next="), (rule.endpoint, method, status)
            else:
                assert status == 403, (rule.endpoint, method, role, status)
    logout_rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "auth.logout")
    status, location = _request(client, logout_rule, "POST")
    expected = (302, "/login") if role else (401, "")
    assert (status, location) == expected


def _request(client, rule, method: str) -> tuple[int, str]:
    url = _url(rule)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/login")})
    return response.status_code, response.headers.get("Location", "")
