"""Preview, publish and verify a round's results.

* :func:`preview` runs the engine on the submitted scorecards, exactly as a publication
  would (same pseudonymised inputs, same parsing), for staff to look at first.
* :func:`publish` freezes a snapshot (:mod:`survey.services.snapshots`: the engine inputs
  as ``python -m scoring`` reads them, its outputs, the facts the reports print, the audit
  chain head) and stores every file built from it -- round report, one report per unit,
  the composite report when the round has one, the anonymised raw scores and the
  reproducibility bundle -- each with its SHA-256. Version 1, 2, ...; from version 2 on a
  note says what changed. Published rows are never changed.
* :func:`rebuild` builds every file again from the snapshot alone; the bytes are identical.
* :func:`find_by_hash` / :func:`identify_upload` answer the public verification page.

Services flush; the caller commits (one transaction per publication).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from scoring.types import ScoringInputError
from survey.extensions import db
from survey.models import AuditHead, Publication, PublishedFile, Round, SessionStatus, User
from survey.models.base import utcnow
from survey.services import snapshots
from survey.services.errors import Conflict, DomainError
from survey.services.publication_files import BuiltFile, build_files

#: The note of a version is at most this long.
MAX_NOTE = 2000
_HASH = re.compile(r"^[0-9a-f]{64}$")


class PublicationRefused(DomainError):
    """Nothing to compute, a session still open, a missing note: nothing was stored."""

    status_code = 409


# --------------------------------------------------------------------------- preview


@dataclass(frozen=True)
class PreviewRow:
    """One unit in the preview table, by rank."""

    unit: str
    name: str
    rank: float | None
    total: float | None
    ci_low: float | None
    ci_high: float | None
    group: int | None
    n_cards: int
    composite: float | None = None


@dataclass(frozen=True)
class RoundPreview:
    """The results a publication of the round would freeze now (nothing is stored)."""

    round: Round
    snapshot: dict  #: as :func:`publish` would store it, without version and time
    computed: snapshots.Computed
    #: Pseudonym -> the pool entry's name: for staff screens only, never published.
    rater_names: dict[str, str] = field(default_factory=dict)

    @property
    def result(self):
        return self.computed.result

    @property
    def composite(self):
        return self.computed.composite

    @property
    def outputs(self) -> dict:
        """The published ``result.json`` as a dictionary."""
        return self.computed.outputs

    def rows(self, language: str = "zh") -> list[PreviewRow]:
        lang = "en" if language.startswith("en") else "zh"
        names = {u["code"]: u["name"][lang] for u in self.snapshot["facts"]["units"]}
        composite = {}
        if self.outputs.get("composite"):
            composite = {u["unit"]: u.get("score") for u in self.outputs["composite"]["units"]}
        rows = [
            PreviewRow(u["unit"], names.get(u["unit"], u["unit"]), u["rank"], u["total"], u["ci_low"], u["ci_high"],
                       u["group"], u["n_cards"], composite.get(u["unit"]))
            for u in self.outputs["unit_results"]
        ]
        return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.unit))


def _draft(round: Round) -> tuple[dict, snapshots.Computed, dict[int, str]]:
    """Inputs, outputs and facts of the round now, or a refusal saying why nothing can be computed."""
    names = snapshots.pseudonyms(round)
    scores_text = snapshots.scores_csv(round, names)
    if scores_text.count("\n") <= 1:
        raise PublicationRefused(_("The round has no submitted scorecards yet: there is nothing to compute."))
    config_text = snapshots.config_text(snapshots.config(round, names))
    try:
        computed = snapshots.compute(scores_text, config_text)
    except ScoringInputError as exc:
        raise PublicationRefused(_("The results cannot be computed yet: %(reason)s", reason=str(exc))) from None
    snapshot = {
        "format": snapshots.FORMAT,
        "version": None,
        "published_at": None,
        "note": "",
        "audit_head": "",
        "inputs": {"scores.csv": scores_text, "config.json": config_text},
        "outputs": {"result.json": computed.result_text, "tables": computed.tables},
        "facts": snapshots.facts(round, names),
    }
    return snapshot, computed, names


def preview(*, round: Round, now: datetime | None = None) -> RoundPreview:
    """Compute the round's results from its submitted scorecards as a publication would.

    The preview's snapshot has no version; its reports say "preview, not published" and
    carry the audit chain head and the time of the preview.

    Raises :class:`PublicationRefused` when no scorecard is submitted or the engine
    cannot compute (for example fewer than two raters with scores).
    """
    from survey.services import audit

    snapshot, computed, names = _draft(round)
    snapshot.update(audit_head=audit.head(), previewed_at=_iso(now or utcnow()))
    by_id = {r.id: r.name for r in round.raters}
    return RoundPreview(round, snapshot, computed, {pseudonym: by_id[rid] for rid, pseudonym in names.items()})


def preview_report(*, round: Round, unit: str | None = None, language: str = "zh",
                   now: datetime | None = None) -> bytes:
    """The round report (or ``unit``'s report, by code) of the round's current results, marked as
    a preview (no version), with the audit chain head as it is now."""
    from survey.services import report_data

    snapshot = preview(round=round, now=now).snapshot
    if unit is None:
        return report_data.round_report(snapshot, language)
    return report_data.unit_report(snapshot, unit, language)  # UnitWithoutResult: not evaluated, or no scores


# --------------------------------------------------------------------------- publish


def latest_publication(round: Round) -> Publication | None:
    return db.session.scalar(
        select(Publication).where(Publication.round_id == round.id).order_by(Publication.version.desc()).limit(1))


def _same_content(a: dict, b: dict) -> bool:
    return a["inputs"] == b["inputs"] and a["outputs"] == b["outputs"] and a["facts"] == b["facts"]


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def publish(*, round: Round, by: User | None, note: str = "", now: datetime | None = None) -> Publication:
    """Freeze the round's results and store every report file; the caller commits.

    Refuses (nothing stored) while a scoring session is open, when nothing can be
    computed, without a note from version 2 on, and when nothing changed since the
    latest version. Records a ``publication`` audit entry with the version and every
    file's SHA-256.
    """
    from survey.services import audit

    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise PublicationRefused(_("The note is longer than %(n)d characters.", n=MAX_NOTE))
    open_sessions = [s for s in round.sessions if s.status is SessionStatus.OPEN]
    if open_sessions:
        raise PublicationRefused(_("Scoring is still open in %(n)d session(s): close them before publishing.",
                                   n=len(open_sessions)))
    # Hold the chain's head until the publication entry is appended: the head printed on the
    # round report is exactly the one that entry chains to, and a second publisher of the
    # same round waits here, then sees this version.
    db.session.execute(select(AuditHead).where(AuditHead.id == audit.HEAD_ID).with_for_update()).scalar_one()
    previous = latest_publication(round)
    version = 1 if previous is None else previous.version + 1
    if version > 1 and not note:
        raise PublicationRefused(_("Version %(version)d replaces version %(previous)d: say in the note what changed.",
                                   version=version, previous=version - 1))
    snapshot, _computed, _names = _draft(round)
    if previous is not None and _same_content(previous.snapshot, snapshot):
        raise PublicationRefused(_("Nothing changed since version %(version)d: there is nothing to publish.",
                                   version=previous.version))
    moment = (now or utcnow())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC).replace(microsecond=0)
    snapshot.update(version=version, published_at=_iso(moment), note=note, audit_head=audit.head())
    files = build_files(snapshot)
    publication = Publication(round_id=round.id, version=version, published_at=moment,
                              published_by_id=by.id if by is not None else None, note=note,
                              snapshot=snapshot, audit_head=snapshot["audit_head"])
    unit_ids = {u.unit.code: u.unit_id for u in round.units}
    for built in files:
        publication.files.append(PublishedFile(
            kind=built.kind, unit_id=unit_ids.get(built.unit) if built.unit else None, filename=built.filename,
            mimetype=built.mimetype, sha256=built.sha256, size=len(built.content), content=built.content))
    db.session.add(publication)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("Another version of this round was published at the same moment. Reload and try again.")) \
            from None
    audit.record(
        "publication", subject_type="publication", subject_id=publication.id, actor=by,
        actor_label=None if by is not None else "cli", now=moment,
        details={"round": round.id, "version": version, "note": note,
                 "files": {f.filename: f.sha256 for f in files}},
    )
    return publication


# --------------------------------------------------------------------------- rebuild


def rebuild(publication: Publication) -> dict[str, bytes]:
    """Every file of a publication built again from its snapshot alone: filename -> bytes."""
    return {built.filename: built.content for built in build_files(publication.snapshot)}


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class PublishedRound:
    round: Round
    latest: Publication
    versions: int


def published_rounds() -> list[PublishedRound]:
    """Every round with at least one publication, the most recently published first."""
    latest = (select(Publication.round_id, func.max(Publication.version).label("version"),
                     func.count(Publication.id).label("n")).group_by(Publication.round_id).subquery())
    rows = db.session.execute(
        select(Publication, latest.c.n)
        .join(latest, (Publication.round_id == latest.c.round_id) & (Publication.version == latest.c.version))
    ).all()
    out = [PublishedRound(db.session.get(Round, pub.round_id), pub, n) for pub, n in rows]
    return sorted(out, key=lambda p: (p.latest.published_at, p.latest.id), reverse=True)


def is_published(round: Round) -> bool:
    return latest_publication(round) is not None


def publications_of(round: Round) -> list[Publication]:
    """A round's versions, the newest first."""
    return list(db.session.scalars(
        select(Publication).where(Publication.round_id == round.id).order_by(Publication.version.desc())))


def get_publication(*, publication_id: int) -> Publication | None:
    return db.session.get(Publication, publication_id)


def get_published_file(publication_id: int, file_id: int) -> PublishedFile | None:
    """The file, when it belongs to that publication (ids are never trusted alone)."""
    found = db.session.get(PublishedFile, file_id)
    if found is None or found.publication_id != publication_id:
        return None
    return found


def get_file(*, publication_id: int, file_id: int) -> PublishedFile | None:
    return get_published_file(publication_id, file_id)


def file_of_kind(publication: Publication, kind: str) -> PublishedFile:
    return next(f for f in publication.files if f.kind == kind)


def bundle(publication: Publication) -> bytes:
    """The reproducibility bundle (zip) as published."""
    return file_of_kind(publication, "bundle").content


def anonymised_scores_csv(publication: Publication) -> bytes:
    """The raw scores, raters pseudonymised, as published."""
    return file_of_kind(publication, "raw_scores").content


def snapshot_outputs(publication: Publication) -> dict:
    """The published ``result.json`` as a dictionary."""
    return json.loads(publication.snapshot["outputs"]["result.json"])


# --------------------------------------------------------------------------- verification


def normalise_hash(value: str | None) -> str | None:
    """A pasted SHA-256 in lower case, or None when it is not 64 hexadecimal characters."""
    text = re.sub(r"\s+", "", value or "").lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:"):]
    return text if _HASH.match(text) else None


def find_by_hash(sha256: str) -> list[tuple[PublishedFile, Publication, Round]]:
    """Every published file with this SHA-256 (usually one), oldest publication first."""
    digest = normalise_hash(sha256)
    if digest is None:
        return []
    rows = db.session.execute(
        select(PublishedFile, Publication, Round)
        .join(Publication, PublishedFile.publication_id == Publication.id)
        .join(Round, Publication.round_id == Round.id)
        .where(PublishedFile.sha256 == digest)
        .order_by(Publication.published_at, PublishedFile.id)
    ).all()
    return [(f, p, r) for f, p, r in rows]


@dataclass(frozen=True)
class Identification:
    sha256: str
    size: int
    matches: list[tuple[PublishedFile, Publication, Round]]


@dataclass(frozen=True)
class VerifiedFile:
    """What the verification page says about one matching file (nothing that is not public)."""

    kind: str
    filename: str
    sha256: str
    size: int
    unit_code: str | None
    unit_name: dict  #: {"zh": ..., "en": ...} for a unit report, else empty
    round_name: str
    round_period: str
    version: int
    published_at: datetime
    note: str
    latest_version: int  #: the round's newest version (greater: this one was corrected since)


def describe_matches(matches: list[tuple[PublishedFile, Publication, Round]]) -> list[VerifiedFile]:
    """The verification page's answer for each match, from the publications' own snapshots."""
    out = []
    latest: dict[int, int] = {}
    for file, publication, round in matches:
        if round.id not in latest:
            latest[round.id] = latest_publication(round).version
        facts = publication.snapshot.get("facts", {})
        unit_code, unit_name = None, {}
        if file.kind == "unit_report":
            unit_code = _unit_code_of(file, publication)
            unit_name = next((u["name"] for u in facts.get("units", []) if u["code"] == unit_code), {})
        out.append(VerifiedFile(
            kind=file.kind, filename=file.filename, sha256=file.sha256, size=file.size, unit_code=unit_code,
            unit_name=unit_name, round_name=facts.get("round", {}).get("name", round.name),
            round_period=facts.get("round", {}).get("period", round.period), version=publication.version,
            published_at=publication.published_at, note=publication.note, latest_version=latest[round.id]))
    return out


def _unit_code_of(file: PublishedFile, publication: Publication) -> str | None:
    from survey.models import OrgUnit

    if file.unit_id is not None:
        unit = db.session.get(OrgUnit, file.unit_id)
        if unit is not None:
            return unit.code
    return None


def identify_upload(data: bytes) -> Identification:
    """Hash an uploaded file and find it among the published ones."""
    digest = hashlib.sha256(data).hexdigest()
    return Identification(digest, len(data), find_by_hash(digest))


__all__ = [
    "BuiltFile", "Identification", "PreviewRow", "PublicationRefused", "PublishedRound", "RoundPreview",
    "VerifiedFile", "anonymised_scores_csv", "bundle", "describe_matches", "file_of_kind", "find_by_hash",
    "get_file", "get_publication", "get_published_file", "identify_upload", "is_published", "latest_publication",
    "normalise_hash", "preview", "preview_report", "publications_of", "publish", "published_rounds", "rebuild",
    "snapshot_outputs",
]
