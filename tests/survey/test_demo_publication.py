"""The demo gives evaluators something to look at: the 2014 open-door round published as
version 1 with its composite assessment, and Shichahai's chair rating closed.

Loading the whole scenario takes seconds (20,000 needs responses, a publication's PDFs), so
one test loads it once and checks everything; ``load_demo_scenario`` twice adds nothing.
The publication service's own tests check the recomputation and the byte-identical rebuild
in depth; here the demo's publication is checked for its files, hashes and audit entry.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime
from io import BytesIO

from markupsafe import escape
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import (
    AuditEntry,
    Publication,
    PublishedFile,
    Questionnaire,
    QuestionnaireStatus,
    Round,
    RoundStatus,
    SessionStatus,
    User,
)
from survey.services import (
    audit,
    demo,
    demo_publication,
    evaluator_portal,
    publications,
    rounds,
)
from survey.services.questionnaires import is_open

DIRECT_CODES = [f"XC-D0{n}" for n in range(1, 10)]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_demo_publishes_the_open_door_round_with_its_composite_and_closes_the_chair_rating(app, client, login):
    with app.app_context():
        summary = demo.load_demo_scenario()
        db.session.commit()
        assert summary.created_publications == 1

        # ------------------------------------------------------------ the round, published once
        round = db.session.scalar(select(Round).where(Round.name == rounds.DEMO_ROUND_NAME))
        assert round.status is RoundStatus.OPEN and all(s.status is SessionStatus.CLOSED for s in round.sessions)
        assert round.composite == demo_publication.demo_composite()
        assert [entry["unit"] for entry in round.composite["units"]] == DIRECT_CODES
        versions = publications.publications_of(round)
        assert [p.version for p in versions] == [1]
        publication = versions[0]
        assert publication.published_at == datetime(2014, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
        assert publication.published_by_id == db.session.scalar(select(User.id).where(User.username == "admin"))
        assert publication.note == "" and publication.snapshot["version"] == 1

        # ------------------------------------------------------------ its files and their hashes
        kinds = sorted(f.kind for f in publication.files)
        assert kinds == sorted(["round_report", "composite_report", "raw_scores", "bundle"] + ["unit_report"] * 9)
        for file in publication.files:
            assert file.size == len(file.content) > 0
            assert file.sha256 == hashlib.sha256(file.content).hexdigest()
        composite_pdf = publications.file_of_kind(publication, "composite_report")
        assert composite_pdf.content.startswith(b"%PDF") and composite_pdf.filename.endswith("-composite-report.pdf")
        outputs = publications.snapshot_outputs(publication)
        composite = outputs["composite"]
        assert (composite["open_door_weight"], composite["total_weight"]) == (60, 100)
        assert [u["unit"] for u in composite["units"]] == DIRECT_CODES
        totals = {u["unit"]: u["total"] for u in outputs["unit_results"]}
        for unit in composite["units"]:  # every unit has its composite, and it adds up
            assert unit["score"] is not None and 0 < unit["score"] <= 100
            assert [c["kind"] for c in unit["components"]] == ["open_door", "target", "target", "target", "survey"]
            assert sum(c["weight"] for c in unit["components"]) == 100
            assert abs(sum(c["contribution"] for c in unit["components"]) - unit["score"]) < 1e-9
            assert unit["components"][0]["raw"] == totals[unit["unit"]]
        # the bundle carries the composite inputs that were published, and the README every file's hash
        with zipfile.ZipFile(BytesIO(publications.bundle(publication))) as archive:
            names = {n.rsplit("/", 1)[-1]: n for n in archive.namelist()}
            config = json.loads(archive.read(names["config.json"]))
            readme = archive.read(names["README.txt"]).decode("utf-8")
        assert config["composite"] == demo_publication.demo_composite()
        for file in publication.files:
            if file.kind != "bundle":
                assert f"{file.sha256}  {file.filename}" in readme
        # the publication is in the audit log with every file's hash, and the chain holds
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "publication"))
        assert (entry.actor, entry.at, entry.details["version"]) == ("admin", publication.published_at, 1)
        assert entry.details["files"] == {f.filename: f.sha256 for f in publication.files}
        check = audit.verify()
        assert check.ok, check.reason
        # publication files are found by their hash (the public verification page)
        found = publications.find_by_hash(composite_pdf.sha256)
        assert [(f.id, p.version) for f, p, _r in found] == [(composite_pdf.id, 1)]

        # ------------------------------------------------------------ questionnaires
        chair = db.session.scalar(select(Questionnaire).where(Questionnaire.slug == demo.CHAIR_SLUG))
        needs = db.session.scalar(select(Questionnaire).where(Questionnaire.slug == demo.NEEDS_SLUG))
        assert chair.status is QuestionnaireStatus.CLOSED and not is_open(chair)
        assert chair.closes_at == demo.CHAIR_CLOSED_AT
        assert needs.status is QuestionnaireStatus.PUBLISHED and is_open(needs)  # the README's phone walkthrough
        listed = evaluator_portal.closed_questionnaires()
        assert [c.questionnaire.slug for c in listed] == [demo.CHAIR_SLUG]
        assert listed[0].responses > 0
        assert evaluator_portal.closed_questionnaire(chair.id) is chair
        assert evaluator_portal.closed_questionnaire(needs.id) is None
        assert [p.round.id for p in evaluator_portal.published_rounds()] == [round.id]
        ids = {"round": round.id, "chair": chair.id, "needs": needs.id, "publication": publication.id}
        chair_title = chair.title

        # ------------------------------------------------------------ loading again adds nothing
        counts = (_count(Publication), _count(PublishedFile), _count(AuditEntry), _count(Round))
        again = demo.load_demo_scenario()
        db.session.commit()
        assert (again.created_rounds, again.created_publications, again.created_questionnaires) == (0, 0, 0)
        assert "already present" in again.describe()
        assert (_count(Publication), _count(PublishedFile), _count(AuditEntry), _count(Round)) == counts

    # ---------------------------------------------------------------- what the demo evaluator sees
    client.set_cookie("kaimen_lang", "en")
    assert login("evaluator", "kaimen-demo-evaluator").status_code == 302
    portal = client.get("/evaluator/")
    assert portal.status_code == 200
    page = portal.get_data(as_text=True)
    assert rounds.DEMO_ROUND_NAME in page
    assert f"/evaluator/questionnaires/{ids['chair']}" in page
    assert f"/evaluator/questionnaires/{ids['needs']}" not in page
    assert str(escape(chair_title)) in page and "2016-05-01 00:00" in page  # closed, at its time in the story
    assert client.get(f"/evaluator/questionnaires/{ids['chair']}").status_code == 200
    assert client.get(f"/evaluator/questionnaires/{ids['needs']}").status_code == 404
    detail = client.get(f"/evaluator/rounds/{ids['round']}").get_data(as_text=True)
    assert "composite-report.pdf" in detail
