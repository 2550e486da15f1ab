"""Questionnaire import and export through the service: JSON envelopes, bare specs, XLSForm, refusals."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from forms.questionnaire.spec import Questionnaire as Spec
from forms.questionnaire.xlsform import import_xlsform
from forms.questionnaire.xlsform_export import export_xlsform
from survey.extensions import db
from survey.models import Questionnaire, QuestionnaireKind, QuestionnaireStatus
from survey.services import questionnaires
from survey.services.errors import DomainError
from survey.services.questionnaire_files import (
    EXPORT_FORMAT,
    JSON_MIMETYPE,
    XLSX_MIMETYPE,
    ImportRejected,
    VersionNotFound,
    export_questionnaire,
    import_questionnaire,
)
from tests.forms.conftest import make_questionnaire


def _count() -> int:
    return db.session.scalar(select(func.count(Questionnaire.id)))


def _stored_spec(questionnaire: Questionnaire) -> Spec:
    return Spec.from_dict(questionnaire.versions[-1].spec)


def _bare(spec: Spec | dict) -> bytes:
    return json.dumps(spec.to_dict() if isinstance(spec, Spec) else spec, ensure_ascii=False).encode()


def test_json_export_imports_back_to_an_equal_spec_with_its_kind(app):
    with app.app_context():
        spec = dataclasses.replace(make_questionnaire(), anonymous=True)
        original = questionnaires.create_questionnaire(spec=spec, kind=QuestionnaireKind.SATISFACTION)
        content, filename, mimetype = export_questionnaire(questionnaire=original, fmt="json")
        assert (filename, mimetype) == (f"questionnaire-{original.id}-v1.json", JSON_MIMETYPE)
        envelope = json.loads(content)
        assert {k: v for k, v in envelope.items() if k != "spec"} == {
            "format": EXPORT_FORMAT, "version": 1, "kind": "satisfaction", "slug": original.slug,
            "anonymous": True, "questionnaire_version": 1,
        }
        outcome = import_questionnaire(data=content, filename=filename)
        copy = outcome.questionnaire
        assert _stored_spec(copy) == spec == outcome.spec
        assert (copy.kind, copy.anonymous, copy.status, outcome.source_format) == (
            QuestionnaireKind.SATISFACTION, True, QuestionnaireStatus.DRAFT, "json")
        # The original still holds its link name, so the copy gets a new one and says so.
        assert copy.slug != original.slug
        assert outcome.report == (
            f"slug '{original.slug}' is already used by another questionnaire; the import gets a new link",)


def test_json_import_keeps_a_free_link_name_and_reports_a_later_version(app):
    with app.app_context():
        envelope = {"format": EXPORT_FORMAT, "version": 1, "kind": "home_evaluation", "slug": "shichahai-home",
                    "anonymous": False, "questionnaire_version": 3, "spec": make_questionnaire().to_dict()}
        outcome = import_questionnaire(data=_bare(envelope), filename="home.json")
        assert (outcome.questionnaire.slug, outcome.questionnaire.kind) == ("shichahai-home",
                                                                            QuestionnaireKind.HOME_EVALUATION)
        assert [v.number for v in outcome.questionnaire.versions] == [1]
        assert outcome.report == ("exported as version 3; imported as version 1 of a new draft",)


def test_an_explicit_kind_wins_over_the_exported_one_and_a_bare_spec_defaults_to_other(app):
    with app.app_context():
        envelope = {"format": EXPORT_FORMAT, "version": 1, "kind": "needs", "spec": make_questionnaire().to_dict()}
        chosen = import_questionnaire(data=_bare(envelope), filename="a.json", kind=QuestionnaireKind.SATISFACTION)
        bare = import_questionnaire(data=_bare(make_questionnaire()), filename="b.json")
        assert (chosen.questionnaire.kind, bare.questionnaire.kind) == (QuestionnaireKind.SATISFACTION,
                                                                        QuestionnaireKind.OTHER)
        assert bare.report == () and _stored_spec(bare.questionnaire) == make_questionnaire()


def test_a_bare_spec_without_a_json_name_is_recognised_by_its_brace(app):
    with app.app_context():
        outcome = import_questionnaire(data=b"\xef\xbb\xbf  " + _bare(make_questionnaire()), filename="upload")
        assert outcome.source_format == "json" and outcome.spec == make_questionnaire()


def test_xlsform_export_imports_back_to_an_equal_spec(app):
    with app.app_context():
        original = questionnaires.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS)
        content, filename, mimetype = export_questionnaire(questionnaire=original, fmt="xlsform")
        assert (filename, mimetype) == (f"questionnaire-{original.id}-v1.xlsx", XLSX_MIMETYPE)
        outcome = import_questionnaire(data=content, filename=filename, kind=QuestionnaireKind.NEEDS)
        assert outcome.source_format == "xlsform"
        assert _stored_spec(outcome.questionnaire) == make_questionnaire()
        assert outcome.report == import_xlsform(content).report


def test_export_picks_the_newest_version_or_the_one_asked_for(app):
    with app.app_context():
        q = questionnaires.create_questionnaire(spec=make_questionnaire(), kind=QuestionnaireKind.NEEDS)
        questionnaires.publish_questionnaire(questionnaire=q)
        retitled = dataclasses.replace(make_questionnaire(), title=dataclasses.replace(make_questionnaire().title,
                                                                                      zh="职工需求问卷（二）"))
        questionnaires.edit_questionnaire(questionnaire=q, spec=retitled)
        newest, name, _ = export_questionnaire(questionnaire=q)
        first, first_name, _ = export_questionnaire(questionnaire=q, version=1)
        assert (name, json.loads(newest)["questionnaire_version"]) == (f"questionnaire-{q.id}-v2.json", 2)
        assert Spec.from_dict(json.loads(newest)["spec"]) == retitled
        assert (first_name, Spec.from_dict(json.loads(first)["spec"])) == (f"questionnaire-{q.id}-v1.json",
                                                                           make_questionnaire())
        with pytest.raises(VersionNotFound) as missing:
            export_questionnaire(questionnaire=q, version=5)
        assert missing.value.message == f"Questionnaire {q.id} has no version 5 (it has versions 1 to 2)."
        with pytest.raises(DomainError) as unknown:
            export_questionnaire(questionnaire=q, fmt="csv")
        assert unknown.value.message == "Unknown export format csv; use json or xlsform."


def _duplicate_option() -> dict:
    data = make_questionnaire().to_dict()
    options = data["sections"][0]["questions"][0]["options"]
    options.append(dict(options[0]))
    return data


def _macro_workbook() -> bytes:
    """A real workbook with a VBA project added, as Excel saves an .xlsm."""
    buffer = io.BytesIO(export_xlsform(make_questionnaire()))
    with zipfile.ZipFile(buffer, "a") as package:
        package.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return buffer.getvalue()


def _envelope(**changes) -> bytes:
    envelope = {"format": EXPORT_FORMAT, "version": 1, "spec": make_questionnaire().to_dict(), **changes}
    return _bare(envelope)


REFUSED = [
    pytest.param(b"", "empty.json", "empty.json is empty.", (), id="empty"),
    pytest.param(b" \n", "blank.json", "blank.json is empty.", (), id="blank"),
    pytest.param('{\n  "title": {"zh": "问卷"},\n  "sections": [\n}\n'.encode(), "broken.json",
                 "broken.json is not valid JSON: line 4, column 1: Expecting value.", (), id="invalid-json"),
    pytest.param("{\"title\": \"问卷\"}".encode("gbk"), "gbk.json",
                 "gbk.json is not UTF-8 text (byte 12 cannot be read).", (), id="not-utf8"),
    pytest.param(_bare(_duplicate_option()), "dup.json",
                 "The questionnaire in dup.json is not valid: at sections[0].questions[0].options: "
                 "option id 'm' appears twice.", (), id="duplicate-option"),
    pytest.param(_envelope(spec=_duplicate_option()), "dup.json",
                 "The questionnaire in dup.json is not valid: at spec.sections[0].questions[0].options: "
                 "option id 'm' appears twice.", (), id="duplicate-option-in-envelope"),
    pytest.param(b'{"title": {"zh": "a\\u0000b"}}', "nul.json",
                 "nul.json contains a character that cannot be stored (NUL or a lone surrogate) at title.zh.", (),
                 id="nul"),
    pytest.param(b'{"title": {"zh": "ok"}, "sections": [{"id": "s", "title": {"en": "\\ud800"}}]}', "lone.json",
                 "lone.json contains a character that cannot be stored (NUL or a lone surrogate) at "
                 "sections[0].title.en.", (), id="lone-surrogate"),
    pytest.param(b"[1, 2]", "list.json",
                 "The questionnaire in list.json is not valid: at the top level: expected an object, got a list.",
                 (), id="not-an-object"),
    pytest.param(_envelope(format="other"), "x.json",
                 'x.json is not a valid Kaimen export: at format: expected "kaimen-questionnaire", found "other".',
                 (), id="wrong-format"),
    pytest.param(_envelope(version=2), "x.json",
                 "x.json is not a valid Kaimen export: at version: version 2 comes from a newer Kaimen; "
                 "this one reads version 1.", (), id="newer-version"),
    pytest.param(_envelope(extra=1), "x.json", "x.json is not a valid Kaimen export: at extra: unknown key.", (),
                 id="unknown-key"),
    pytest.param(_envelope(kind="census"), "x.json",
                 "x.json is not a valid Kaimen export: at kind: unknown kind; use one of needs, satisfaction, "
                 "home_evaluation, other.", (), id="unknown-kind"),
    pytest.param(_envelope(anonymous=True), "x.json",
                 "x.json is not a valid Kaimen export: at anonymous: it disagrees with spec.anonymous.", (),
                 id="anonymous-disagrees"),
    pytest.param(_envelope(slug="a b"), "x.json",
                 "x.json is not a valid Kaimen export: at slug: expected 1 to 40 letters, digits, '-' or '_'.", (),
                 id="bad-slug"),
    pytest.param(b"title: survey", "notes.txt",
                 "notes.txt is neither a Kaimen JSON export (.json) nor an XLSForm workbook (.xlsx).", (),
                 id="unrecognised"),
    pytest.param(b"not a zip at all", "form.xlsx", "The spreadsheet form.xlsx was not imported:",
                 ("this is not an .xlsx workbook (it is not a zip package)",), id="xlsx-not-zip"),
    pytest.param(_macro_workbook(), "form.xlsm", "The spreadsheet form.xlsm was not imported:",
                 ("the workbook contains macros (vbaProject.bin); save it as a plain .xlsx without macros",),
                 id="macros"),
]


@pytest.mark.parametrize("data, filename, summary, reasons", REFUSED)
def test_a_refused_file_says_why_and_stores_nothing(app, data, filename, summary, reasons):
    with app.app_context():
        before = _count()
        with pytest.raises(ImportRejected) as refused:
            import_questionnaire(data=data, filename=f"/uploads/{filename}")
        assert (refused.value.summary, refused.value.reasons) == (summary, reasons)
        assert refused.value.message == (f"{summary} {'; '.join(reasons)}" if reasons else summary)
        assert _count() == before


def test_the_size_limit_is_checked_before_parsing(app):
    with app.app_context():
        data = _bare(make_questionnaire())
        with pytest.raises(ImportRejected) as refused:
            import_questionnaire(data=data, filename="big.json", max_bytes=len(data) - 1)
        assert refused.value.message == f"big.json is {len(data)} bytes; the limit is {len(data) - 1} bytes."
        # Even bytes that would not parse are refused for their size first.
        with pytest.raises(ImportRejected) as refused:
            import_questionnaire(data=b"{" * 101, filename="big.json", max_bytes=100)
        assert refused.value.message == "big.json is 101 bytes; the limit is 100 bytes."
