"""Publication: frozen snapshots with pseudonymised raters, versions with notes, byte-identical
rebuilds, and a reproducibility bundle that ``python -m scoring`` alone recomputes exactly."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditEntry, Publication, Scorecard, ScorecardStatus
from survey.services import demo_scores, engine_inputs, plans, publications, scorecards, scoring_sessions
from survey.services.errors import DomainError
from tests.survey.round_builders import seed_round

REPO = Path(__file__).resolve().parents[2]
JULY = datetime(2014, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
PSEUDONYM = re.compile(r"^R\d{2}$")

COMPOSITE = {
    "open_door_weight": 60,
    "units": [
        {"unit": code,
         "targets": [{"code": "card_rate", "title": "互助保障卡覆盖率", "actual": actual, "target": 0.9, "weight": 20}],
         "surveys": [{"code": "member_satisfaction", "title": "会员满意度", "value": value, "weight": 20,
                      "scale": "percent"}]}
        for code, actual, value in (("XC-D01", 0.88, 86.0), ("XC-D02", 0.7, 71.5), ("XC-D03", 0.93, 78.0))
    ],
}


def scored_round(**options):
    """The seeds' round, planned, opened and scored like the demo (sessions closed, two declared conflicts)."""
    round = seed_round(**options)
    assert plans.solve_plan(round=round).solved
    demo_scores.load_demo_scores(round)
    return round


def _people(round) -> list[str]:
    """Every name, username and conflict reason that must never be published."""
    out = set()
    for rater in round.raters:
        out.add(rater.name)
        if rater.user is not None:
            out.update({rater.user.username, rater.user.display_name})
    out.update(reason for _code, _user, reason in demo_scores.DECLARED_CONFLICTS)
    return sorted(x for x in out if x)


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _resubmit(round, unit_code: str, points: float | None = None, comments: dict[str, str] | None = None):
    """Correct one scorecard the way staff do: open the session again, reopen, resubmit, close."""
    session = next(s for s in round.sessions if s.unit.code == unit_code)
    scoring_sessions.open_session(session=session)
    card = db.session.scalars(select(Scorecard).where(Scorecard.session_id == session.id)
                              .order_by(Scorecard.id)).first()
    scorecards.reopen_scorecard(scorecard=card, reason="录入错误", by=None)
    entries = [scorecards.EntryChange(e.criterion, points, False, 2) for e in card.entries if points is not None]
    notes = [scorecards.CommentChange(area, text, 5) for area, text in (comments or {}).items()]
    scorecards.submit_scorecard(rater=card.rater, session=session, entries=entries, comments=notes)
    scoring_sessions.close_session(session=session)
    return card


# --------------------------------------------------------------------------- preview


def test_preview_gives_the_live_engine_figures_without_storing_anything(app):
    with app.app_context():
        round = scored_round()
        preview = publications.preview(round=round)
        live = engine_inputs.round_result(round=round)
        live_totals = dict(zip(live.units, live.totals.tolist()))
        assert {u: t for u, t in zip(preview.result.units, preview.result.totals.tolist())} == \
            {u: live_totals[u] for u in preview.result.units}
        rows = preview.rows()
        assert [r.rank for r in rows] == sorted(r.rank for r in rows)
        assert rows[0].unit == "XC-D01" and rows[0].name == "隆盛泰公司工会"
        assert all(r.ci_low <= r.total <= r.ci_high for r in rows)
        # staff can map a pseudonym back on the server; the snapshot cannot
        config = json.loads(preview.snapshot["inputs"]["config.json"])
        assert set(preview.rater_names) == {r["id"] for r in config["raters"]}
        assert db.session.scalar(select(Publication.id)) is None


def test_preview_refuses_a_round_without_submitted_scores(app):
    with app.app_context():
        round = seed_round()
        with pytest.raises(publications.PublicationRefused, match="no submitted scorecards"):
            publications.preview(round=round)
        with pytest.raises(publications.PublicationRefused):
            publications.publish(round=round, by=None)
        assert db.session.scalar(select(Publication.id)) is None


# --------------------------------------------------------------------------- the snapshot


def test_the_snapshot_holds_the_exact_engine_inputs_and_outputs_with_pseudonymised_raters(app):
    with app.app_context():
        round = scored_round()
        publication = publications.publish(round=round, by=None, now=JULY)
        snapshot = publication.snapshot
        assert (publication.version, publication.note) == (1, "")
        assert snapshot["version"] == 1 and snapshot["published_at"] == "2014-07-01T02:00:00+00:00"

        scores = snapshot["inputs"]["scores.csv"]
        config = json.loads(snapshot["inputs"]["config.json"])
        assert scores.startswith("unit,rater,criterion,points\n")
        assert set(config) == {"framework", "settings", "raters", "units", "recusal"}  # no composite configured
        pseudonyms = [r["id"] for r in config["raters"]]
        assert all(PSEUDONYM.match(p) for p in pseudonyms) and len(pseudonyms) == len(round.raters) == 27
        assert pseudonyms == sorted(pseudonyms)
        assert all(set(r) <= {"id", "type", "panel"} for r in config["raters"])  # no home unit, no industry
        assert {row.split(",")[1] for row in scores.splitlines()[1:]} <= set(pseudonyms)
        # the declared conflicts keep their category, never the words or the person
        assert {(d["unit"], d["reason"]) for d in config["recusal"]["declared"]} == \
            {("XC-D02", "declared by the rater"), ("XC-D08", "declared by the rater")}
        assert all(PSEUDONYM.match(d["rater"]) for d in config["recusal"]["declared"])

        # the engine's rows: the number of submitted entries, criteria in framework order
        entries = sum(len(c.entries) for c in db.session.scalars(
            select(Scorecard).where(Scorecard.round_id == round.id, Scorecard.status == ScorecardStatus.SUBMITTED)))
        assert len(scores.splitlines()) == entries + 1
        outputs = publications.snapshot_outputs(publication)
        assert outputs["raters"] == sorted(outputs["raters"]) and all(PSEUDONYM.match(r) for r in outputs["raters"])
        assert sorted(u["unit"] for u in outputs["unit_results"]) == sorted(u.unit.code for u in round.units)

        everything = json.dumps(snapshot, ensure_ascii=False)
        for secret in _people(round):
            assert secret not in everything, secret
        for rater in round.raters:  # database ids of the pool never appear as rater ids
            assert f'"rater": "{rater.id}"' not in everything


def test_pseudonyms_are_stable_within_a_round_and_differ_between_rounds(app):
    with app.app_context():
        first = scored_round()
        second = seed_round()  # the same 27 people in another round
        from survey.services.snapshots import pseudonyms

        assert pseudonyms(first) == pseudonyms(first)
        by_user = lambda r: {rater.user_id: name for rater_id, name in pseudonyms(r).items()  # noqa: E731
                             for rater in r.raters if rater.id == rater_id}
        assert by_user(first) != by_user(second)
        assert sorted(by_user(first).values()) == sorted(by_user(second).values())
        # the numbering does not follow the pool's order (ids follow the import order)
        ordered = [pseudonyms(first)[r.id] for r in sorted(first.raters, key=lambda r: r.id)]
        assert ordered != sorted(ordered)


def test_every_file_is_stored_with_its_hash_and_the_publication_is_audited(app):
    with app.app_context():
        round = scored_round()
        from survey.services import audit

        head_before = audit.head()
        publication = publications.publish(round=round, by=None, now=JULY)
        kinds = [f.kind for f in publication.files]
        assert kinds.count("bundle") == kinds.count("raw_scores") == 1
        for file in publication.files:
            assert file.sha256 == hashlib.sha256(file.content).hexdigest() and file.size == len(file.content)
            assert file.filename.startswith(f"kaimen-round{round.id}-v1-")
        assert len({f.filename for f in publication.files}) == len(publication.files)
        raw = publications.anonymised_scores_csv(publication)
        assert raw.decode("utf-8") == publication.snapshot["inputs"]["scores.csv"]

        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "publication"))
        assert entry.subject_id == str(publication.id) and entry.actor == "cli"
        assert entry.details["version"] == 1 and entry.details["round"] == round.id
        assert entry.details["files"] == {f.filename: f.sha256 for f in publication.files}
        # the head printed on the round report is the one the publication entry chains to
        assert publication.audit_head == head_before == entry.prev_hash
        assert audit.verify().ok


def test_a_correction_is_a_new_version_with_a_note_and_the_old_version_never_changes(app):
    with app.app_context():
        round = scored_round()
        first = publications.publish(round=round, by=None, now=JULY)
        v1_files = {f.filename: (f.sha256, f.content) for f in first.files}
        v1_snapshot = json.dumps(first.snapshot, sort_keys=True)
        v1_totals = {u["unit"]: u["total"] for u in publications.snapshot_outputs(first)["unit_results"]}

        with pytest.raises(publications.PublicationRefused, match="say in the note what changed"):
            publications.publish(round=round, by=None, note="   ")
        with pytest.raises(publications.PublicationRefused, match="Nothing changed since version 1"):
            publications.publish(round=round, by=None, note="再发一次")

        _resubmit(round, "XC-D06", 0.0)
        with pytest.raises(publications.PublicationRefused, match="say in the note"):
            publications.publish(round=round, by=None)
        second = publications.publish(round=round, by=None, note="更正天桥演艺区一张评分表的录入错误",
                                      now=datetime(2014, 7, 3, 1, 0, tzinfo=UTC))
        db.session.flush()
        db.session.expire_all()

        assert [p.version for p in publications.publications_of(round)] == [2, 1]
        assert second.note == "更正天桥演艺区一张评分表的录入错误"
        assert all(f.filename.startswith(f"kaimen-round{round.id}-v2-") for f in second.files)
        first = db.session.get(Publication, first.id)
        assert {f.filename: (f.sha256, f.content) for f in first.files} == v1_files
        assert json.dumps(first.snapshot, sort_keys=True) == v1_snapshot
        v2_totals = {u["unit"]: u["total"] for u in publications.snapshot_outputs(second)["unit_results"]}
        assert v2_totals["XC-D06"] < v1_totals["XC-D06"]
        assert publications.latest_publication(round).id == second.id
        assert [p.latest.version for p in publications.published_rounds() if p.round.id == round.id] == [2]
        assert "更正" in _unzip(publications.bundle(second))[f"kaimen-round{round.id}-v2/README.txt"].decode()


def test_publishing_waits_for_open_sessions_and_bounds_the_note(app):
    with app.app_context():
        round = scored_round()
        session = sorted(round.sessions, key=lambda s: s.unit.code)[0]
        scoring_sessions.open_session(session=session)
        with pytest.raises(publications.PublicationRefused, match="still open in 1 session"):
            publications.publish(round=round, by=None)
        scoring_sessions.close_session(session=session)
        with pytest.raises(publications.PublicationRefused, match="longer than 2000"):
            publications.publish(round=round, by=None, note="x" * 2001)
        assert db.session.scalar(select(Publication.id)) is None
        assert publications.publish(round=round, by=None).version == 1


# --------------------------------------------------------------------------- rebuild and bundle


def test_rebuilding_a_snapshot_gives_the_same_bytes_and_hashes(app):
    with app.app_context():
        round = scored_round()
        publication = publications.publish(round=round, by=None, now=JULY)
        stored = {f.filename: f.content for f in publication.files}
        db.session.flush()
        db.session.expire_all()  # read the snapshot back from the database (JSON / JSONB)
        publication = db.session.get(Publication, publication.id)
        # the live rows may change after publication: the rebuild reads the snapshot only
        round.name = "改过的名称"
        next(u.unit for u in round.units if u.unit.code == "XC-D01").name_zh = "改过的单位"
        db.session.flush()
        rebuilt = publications.rebuild(publication)
        assert rebuilt.keys() == stored.keys()
        for name, content in rebuilt.items():
            assert content == stored[name], name
            assert hashlib.sha256(content).hexdigest() == next(
                f.sha256 for f in publication.files if f.filename == name)


def test_the_bundle_alone_recomputes_every_published_figure_with_python_m_scoring(app, tmp_path):
    with app.app_context():
        round = scored_round()
        round.composite = COMPOSITE
        publication = publications.publish(round=round, by=None, now=JULY)
        bundle = publications.bundle(publication)
        snapshot = publication.snapshot
        tables = snapshot["outputs"]["tables"]
        published = publications.snapshot_outputs(publication)
        others = [(f.sha256, f.filename) for f in publication.files if f.kind != "bundle"]

    files = _unzip(bundle)
    prefix = f"kaimen-round{snapshot['facts']['round']['id']}-v1/"
    assert sorted(files) == [prefix + n for n in ("README.txt", "config.json", "results.json", "scores.csv")]
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2014, 7, 1, 10, 0, 0)}
        assert {i.external_attr >> 16 for i in archive.infolist()} == {0o100644}
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        archive.extractall(folder)
    work = folder / prefix.rstrip("/")
    readme = (work / "README.txt").read_text(encoding="utf-8")
    assert "python -m scoring scores.csv config.json --out out/" in readme
    for name in ("scores.csv", "config.json", "results.json"):
        assert f"{hashlib.sha256((work / name).read_bytes()).hexdigest()}  {name}" in readme
    assert len(others) == 12  # round, composite and 9 unit reports, raw scores
    for digest, name in others:
        assert f"{digest}  {name}" in readme

    # a clean interpreter that sees only the scoring package and the bundle's folder
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-m", "scoring", "scores.csv", "config.json", "--out", "out/"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = work / "out"
    assert (out / "result.json").read_bytes() == (work / "results.json").read_bytes()
    recomputed = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert recomputed == published
    assert recomputed["composite"]["units"] and {u["unit"] for u in recomputed["composite"]["units"]} == \
        {"XC-D01", "XC-D02", "XC-D03"}
    assert sorted(p.stem for p in out.glob("*.csv")) == sorted(tables)
    for name, text in tables.items():
        assert (out / f"{name}.csv").read_text(encoding="utf-8") == text, name
    # and the published totals are what the bundle says
    assert {u["unit"]: u["total"] for u in recomputed["unit_results"]} == \
        {u["unit"]: u["total"] for u in published["unit_results"]}


# --------------------------------------------------------------------------- finding files


def test_find_by_hash_and_identify_upload(app):
    with app.app_context():
        round = scored_round()
        publication = publications.publish(round=round, by=None, now=JULY)
        file = next(f for f in publication.files if f.kind == "bundle")
        found = publications.find_by_hash(file.sha256.upper())
        assert [(f.id, p.id, r.id) for f, p, r in found] == [(file.id, publication.id, round.id)]
        identified = publications.identify_upload(file.content)
        assert identified.sha256 == file.sha256 and [f.id for f, _, _ in identified.matches] == [file.id]
        assert publications.identify_upload(file.content + b"x").matches == []
        assert publications.find_by_hash("not a hash") == []
        assert publications.find_by_hash("0" * 64) == []
        assert publications.get_published_file(publication.id, file.id) is file
        assert publications.get_published_file(publication.id + 1, file.id) is None
        described = publications.describe_matches(found)
        assert described[0].version == 1 and described[0].round_name == round.name
        assert described[0].latest_version == 1


# --------------------------------------------------------------------------- the PDFs


def _pdf_text(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    embedded = [line.split()[-5] for line in fonts.splitlines()[2:]]
    assert embedded and set(embedded) == {"yes"}, fonts  # every font embedded
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_reports_print_unit_names_criteria_and_figures_in_chinese(app, tmp_path):
    with app.app_context():
        round = scored_round()
        round.composite = COMPOSITE
        publication = publications.publish(round=round, by=None, now=JULY)
        outputs = publications.snapshot_outputs(publication)
        names = {u.unit.code: u.unit.name_zh for u in round.units}
        people = _people(round)
        files = {f.kind if f.kind != "unit_report" else f.filename: f.content for f in publication.files}
        head = publication.audit_head

    text = _pdf_text(files["round_report"], tmp_path, "round.pdf")
    assert "评估轮次总报告" in text and "2014年年中目标考核开门打分" in text
    assert "第 1 版，发布于 2014-07-01 10:00" in text
    assert head in text  # the audit chain head at publication
    for result in outputs["unit_results"]:
        assert names[result["unit"]] in text
        assert f"{result['total']:.1f}" in text
    assert "领域1" in text and "指标2.2" in text and "排名" in text
    assert re.search(r"\bR\d{2}\b", text)  # raters under pseudonyms only
    for secret in people:
        assert secret not in text, secret

    best = max(outputs["unit_results"], key=lambda u: u["total"])
    unit_file = next(name for name in files if isinstance(name, str) and name.endswith(f"unit-{best['unit']}.pdf"))
    text = _pdf_text(files[unit_file], tmp_path, "unit.pdf")
    assert names[best["unit"]] in text and "单位评估报告" in text
    assert f"{best['total']:.1f}" in text and "第 1 名" in text
    for criterion in ("指标1.1", "指标1.2", "指标2.1", "指标2.2"):
        assert criterion in text
    for area, points in best["areas"].items():
        assert f"{points:.1f}" in text
    assert "评分人与回避" in text and "方法说明" in text
    for secret in people:
        assert secret not in text, secret

    text = _pdf_text(files["composite_report"], tmp_path, "composite.pdf")
    assert "综合考核报告" in text and "互助保障卡覆盖率" in text and "会员满意度" in text
    for entry in outputs["composite"]["units"]:
        assert names[entry["unit"]] in text and f"{entry['score']:.2f}" in text


def test_markup_in_comments_and_names_prints_literally(app, tmp_path):
    hostile = "<b>粗体</b> & <font color='red'>红字</font> {{ 7*7 }} {% if x %}"
    with app.app_context():
        round = scored_round()
        _resubmit(round, "XC-D03", comments={"A01": hostile})
        unit = next(u.unit for u in round.units if u.unit.code == "XC-D03")
        unit.name_zh = "<i>文化</i>委员会 & {{ name }}"
        publication = publications.publish(round=round, by=None, now=JULY)
        report = next(f.content for f in publication.files if f.filename.endswith("unit-XC-D03.pdf"))
        round_report = publications.file_of_kind(publication, "round_report").content
    text = " ".join(_pdf_text(report, tmp_path, "unit.pdf").split())
    assert "<b>粗体</b> & <font color='red'>红字</font> {{ 7*7 }} {% if x %}" in text
    assert "<i>文化</i>委员会 & {{ name }}" in text
    assert "<i>文化</i>委员会 & {{ name }}" in " ".join(_pdf_text(round_report, tmp_path, "round.pdf").split())


def test_preview_reports_are_marked_unpublished_and_come_in_english(app, tmp_path):
    with app.app_context():
        round = scored_round()
        zh = publications.preview_report(round=round, now=JULY)
        en = publications.preview_report(round=round, unit="XC-D01", language="en", now=JULY)
        with pytest.raises(DomainError, match="Unit XC-ZZZ has no results in this round"):
            publications.preview_report(round=round, unit="XC-ZZZ")
    assert "预览稿，尚未发布" in _pdf_text(zh, tmp_path, "zh.pdf")
    text = _pdf_text(en, tmp_path, "en.pdf")
    assert "Unit evaluation report" in text and "preview, not published" in text and "Criterion 1.1" in text
