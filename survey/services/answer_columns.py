"""Answers in bulk: the packed answer rows, written on submission and read as numpy columns.

Layout (``survey.models.answer_rows``): one ``answer_rows`` row per submitted
response, holding its questionnaire, version, unit and day (columns, for
filtering in SQL), its numeric answers coded by the questionnaire's codebook
and packed into a few dozen bytes behind a 20-byte header that repeats the
response id, version, unit and day (``forms.questionnaire.row_format``), and
its texts as a small JSON object (NULL for the many responses without any).

- **Writing.** :func:`write_answer_row` runs in the transaction that submits
  a response (``survey.services.responses``); :func:`bulk_import_responses`
  writes responses and their rows together, in batches, all or nothing;
  :func:`rebuild_answer_rows` rewrites a questionnaire's rows from the JSON
  answers (``kaimen export rebuild-matrix``); the migration that created the
  table filled it for the responses already there.
- **Reading.** :func:`load_matrix` reads every matching row with one query
  through the driver's cursor (server-side on PostgreSQL), one column per row,
  in chunks; each chunk's blobs are joined and decoded with
  ``numpy.frombuffer`` straight into one column-major float matrix (``nan``:
  no answer). :func:`iter_matrix` yields the same in chunks, with texts, for
  exports that must run in constant memory.

The matrix has one column per numeric codebook variable, in slot order
(``Variable.slot``; ``AnswerMatrix.column(name)``); rows answered under an
older, narrower codebook are padded with ``nan``. On this project's 2-core
machine a million responses of the 25-question demo survey (64 variables)
load in about 1-2 s from SQLite (``bench/bench_analysis_storage.py``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, text

from forms.questionnaire.answers import validate_response
from forms.questionnaire.codebook import Codebook, CodingError, VariableKind, build_codebook, day_number
from forms.questionnaire.row_format import HEADER_DTYPE, RowFormat
from survey.extensions import db
from survey.models import AnswerRow, OrgUnit, Questionnaire, QuestionnaireVersion, Response, ResponseStatus
from survey.models.base import utcnow
from survey.services.errors import DomainError
from survey.services.questionnaires import live_version, spec_of

#: Rows fetched per round trip when reading.
CHUNK_ROWS = 50_000
#: Responses inserted per statement batch by the bulk import.
IMPORT_BATCH = 5_000


# --------------------------------------------------------------------------- codebook

def coded_versions(questionnaire: Questionnaire, include: QuestionnaireVersion | None = None) -> list[QuestionnaireVersion]:
    """The versions the codebook is built from: the published ones (and ``include``).

    Respondents only ever answer a published version, and a published version
    never changes, so the codebook of a questionnaire only grows.
    """
    return [v for v in questionnaire.versions if v.frozen or v is include]


def questionnaire_codebook(questionnaire: Questionnaire, include: QuestionnaireVersion | None = None) -> Codebook:
    """The questionnaire's codebook over its published versions."""
    versions = coded_versions(questionnaire, include)
    if all(v.frozen for v in versions):
        # A published version is frozen: its id and publication time identify its spec.
        return _cached_codebook(tuple((v.id, v.number, v.published_at) for v in versions),
                                lambda: [(v.number, spec_of(v)) for v in versions])
    return build_codebook((v.number, spec_of(v)) for v in versions)


_codebooks: dict[tuple, Codebook] = {}


def _cached_codebook(key: tuple, specs: Callable[[], list]) -> Codebook:
    codebook = _codebooks.get(key)
    if codebook is None:
        if len(_codebooks) >= 64:
            _codebooks.pop(next(iter(_codebooks)))
        codebook = _codebooks[key] = build_codebook(specs())
    return codebook


@lru_cache(maxsize=64)
def _row_format(storage: tuple[str, ...]) -> RowFormat:
    return RowFormat(storage)


def row_format(codebook: Codebook) -> RowFormat:
    return _row_format(codebook.storage())


def _header(response_id: int, version_id: int, unit_id: int | None, day: date) -> tuple[int, int, int, int]:
    """The facts at the start of a packed row (``forms.questionnaire.row_format.HEADER``)."""
    return (response_id, version_id, -1 if unit_id is None else unit_id, day_number(day))


def _texts_json(texts: Mapping[str, str]) -> str | None:
    return json.dumps(texts, ensure_ascii=False, separators=(",", ":"), sort_keys=True) if texts else None


# --------------------------------------------------------------------------- writing

def write_answer_row(response: Response, *, new: bool = False) -> AnswerRow:
    """Code a submitted response's answers into its packed row (same transaction).

    ``new``: the response was inserted in this transaction, so it has no row to replace.
    """
    questionnaire = response.questionnaire
    codebook = questionnaire_codebook(questionnaire, include=response.version)
    values, texts = codebook.encoder(response.version.number).encode(response.answers)
    existing = None if new else db.session.get(AnswerRow, response.id)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    row = AnswerRow(
        response_id=response.id,
        questionnaire_id=response.questionnaire_id,
        version_id=response.version_id,
        unit_id=response.unit_id,
        submitted_on=response.submitted_on,
        data=row_format(codebook).pack_one(values, _header(response.id, response.version_id, response.unit_id,
                                                            response.submitted_on)),
        texts=_texts_json(texts),
    )
    db.session.add(row)
    db.session.flush()
    return row


def rebuild_answer_rows(questionnaire: Questionnaire, *, progress: Callable[[int], None] | None = None) -> int:
    """Rewrite every answer row of a questionnaire from its responses' JSON answers.

    For data loaded before the rows existed, or after a change to the coding
    rules. Returns the number of rows written; raises :class:`DomainError`
    naming the first response whose answers do not fit its version.
    """
    db.session.flush()
    db.session.execute(delete(AnswerRow).where(AnswerRow.questionnaire_id == questionnaire.id))
    codebook = questionnaire_codebook(questionnaire)
    versions = {v.id: v for v in questionnaire.versions}
    missing = {vid for vid in db.session.scalars(
        select(Response.version_id).where(Response.questionnaire_id == questionnaire.id,
                                          Response.status == ResponseStatus.SUBMITTED).distinct())
        if not versions[vid].frozen}
    if missing:  # answers to an unpublished version (only hand-made data has them)
        codebook = build_codebook([(v.number, spec_of(v)) for v in coded_versions(questionnaire)]
                                  + [(versions[vid].number, spec_of(versions[vid])) for vid in missing])
    encoders = {vid: codebook.encoder(v.number) for vid, v in versions.items() if v.number in codebook.versions}
    fmt = row_format(codebook)
    query = (
        select(Response.id, Response.version_id, Response.unit_id, Response.submitted_on, Response.started_on,
               Response.answers)
        .where(Response.questionnaire_id == questionnaire.id, Response.status == ResponseStatus.SUBMITTED)
        .order_by(Response.id)
        .execution_options(yield_per=IMPORT_BATCH)
    )
    written = 0
    for batch in db.session.execute(query).partitions():
        rows, values = [], []
        for rid, vid, unit_id, submitted_on, started_on, answers in batch:
            try:
                row, texts = encoders[vid].encode(answers or {})
            except CodingError as exc:
                raise DomainError(_("Response %(id)d cannot be coded: %(reason)s", id=rid, reason=str(exc))) from None
            values.append(row)
            rows.append({"response_id": rid, "questionnaire_id": questionnaire.id, "version_id": vid,
                         "unit_id": unit_id, "submitted_on": submitted_on or started_on, "texts": _texts_json(texts)})
        headers = [_header(r["response_id"], r["version_id"], r["unit_id"], r["submitted_on"]) for r in rows]
        for row, data in zip(rows, fmt.pack(np.asarray(values, dtype=np.float64).reshape(len(values), fmt.width),
                                            headers), strict=True):
            row["data"] = data
        if rows:
            db.session.execute(insert(AnswerRow), rows)
        written += len(rows)
        if progress:
            progress(len(rows))
    db.session.flush()
    return written


# --------------------------------------------------------------------------- bulk import

@dataclass(frozen=True)
class ImportRecord:
    """One response to import: canonical answers, and optionally its unit, day and client id."""

    answers: Mapping[str, object]
    unit_id: int | None = None
    submitted_on: date | None = None
    client_id: str | None = None


class ImportRefused(DomainError):
    """Nothing was imported; ``row`` (1-based) and ``errors`` say why."""

    def __init__(self, message: str, row: int | None = None, errors: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.row = row
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class ImportSummary:
    imported: int
    version: int


def _reserve_ids(n: int) -> list[int]:
    """``n`` fresh response ids, taken the way the database hands them out."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return list(connection.execute(
            text("SELECT nextval(pg_get_serial_sequence('responses', 'id')) FROM generate_series(1, :n)"),
            {"n": n}).scalars())
    # SQLite: a write transaction (BEGIN IMMEDIATE) holds the database's write lock,
    # so nobody else can take these ids before the rows are inserted.
    start = connection.execute(select(func.coalesce(func.max(Response.id), 0))).scalar_one() + 1
    return list(range(start, start + n))


def bulk_import_responses(
    questionnaire: Questionnaire,
    records: Iterable[ImportRecord | Mapping[str, object]],
    *,
    version: QuestionnaireVersion | None = None,
    validate: bool = True,
    batch_size: int = IMPORT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Store many submitted responses at once: their JSON answers and their packed rows.

    ``records`` are :class:`ImportRecord` objects or bare answer mappings
    (canonical encoding, ``forms.questionnaire.answers``). They answer
    ``version`` (default: the live version), are submitted on their
    ``submitted_on`` (default: today) and belong to ``unit_id``. With
    ``validate`` every response is checked like a submission and stored
    cleaned; turn it off only for answers already known to be canonical
    (synthetic or re-imported data) — they are still coded, and an answer
    that does not fit its question refuses the import.

    All or nothing: the work runs in a savepoint, so any refusal
    (:class:`ImportRefused`, naming the row) leaves the database as it was.
    The caller commits. Inserts go in batches of ``batch_size`` rows through
    the driver's own ``executemany`` (SQLAlchemy's per-row parameter
    processing would cost more than the inserts), with response ids reserved
    up front — from the sequence on PostgreSQL, above the largest id under
    SQLite's write lock — so the answer rows need no round trip per response.
    The JSON answers are stored compactly (UTF-8, no spaces).
    """
    version = version or live_version(questionnaire)
    if version is None or not version.frozen:
        raise ImportRefused(_("Responses can only be imported into a published version."))
    spec = spec_of(version)
    codebook = questionnaire_codebook(questionnaire)
    encoder = codebook.encoder(version.number)
    fmt = row_format(codebook)
    token = secrets.token_hex(6)
    today = utcnow().date()
    known_units: set[int] = set()
    total = 0

    def flush(batch: list[tuple[int, ImportRecord, Mapping, dict]], values: list[list[float]]) -> None:
        wanted_units = {r.unit_id for _i, r, _a, _t in batch if r.unit_id is not None} - known_units
        if wanted_units:
            found = set(db.session.scalars(select(OrgUnit.id).where(OrgUnit.id.in_(wanted_units))))
            for index, record, _a, _t in batch:
                if record.unit_id in wanted_units and record.unit_id not in found:
                    raise ImportRefused(_("Row %(row)d: there is no unit %(unit)d.", row=index + 1,
                                          unit=record.unit_id), index + 1)
            known_units.update(found)
        ids = _reserve_ids(len(batch))
        days = [record.submitted_on or today for _i, record, _a, _t in batch]
        for day in set(days) - set(day_numbers):
            day_numbers[day] = (day_number(day), day.isoformat() if sqlite else day)
        headers = [(rid, vid, -1 if record.unit_id is None else record.unit_id, day_numbers[day][0])
                   for rid, (_i, record, _a, _t), day in zip(ids, batch, days, strict=True)]
        packed = fmt.pack(np.asarray(values, dtype=np.float64).reshape(len(values), fmt.width), headers)
        response_rows, answer_rows = [], []
        for rid, (index, record, answers, texts), data, day in zip(ids, batch, packed, days, strict=True):
            stored = day_numbers[day][1]
            unit_id = record.unit_id
            response_rows.append((rid, qid, vid, record.client_id or f"import-{token}-{index:09d}", dumps(answers),
                                  unit_id, stored, stored))
            answer_rows.append((rid, qid, vid, unit_id, stored, data, _texts_json(texts) if texts else None))
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.executemany(insert_responses, response_rows)
            cursor.executemany(insert_rows, answer_rows)
        except connection.dialect.loaded_dbapi.IntegrityError:
            raise ImportRefused(_("A submission id in rows %(first)d to %(last)d is used twice or already "
                                  "exists.", first=batch[0][0] + 1, last=batch[-1][0] + 1)) from None
        finally:
            cursor.close()
        if progress:
            progress(len(batch))

    # The driver's own executemany with tuples: SQLAlchemy's per-row parameter processing
    # costs more than the inserts themselves at these volumes.
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    answers_mark = mark if sqlite else "CAST(%s AS jsonb)"
    insert_responses = (
        "INSERT INTO responses (id, questionnaire_id, version_id, client_id, status, answers, unit_id, started_on, "  # nosec B608  # fixed SQL, bound parameters
        f"submitted_on) VALUES ({mark}, {mark}, {mark}, {mark}, '{ResponseStatus.SUBMITTED.value}', {answers_mark}, "
        f"{mark}, {mark}, {mark})"
    )
    insert_rows = ("INSERT INTO answer_rows (response_id, questionnaire_id, version_id, unit_id, submitted_on, data, "  # nosec B608  # fixed SQL, bound parameters
                   f"texts) VALUES ({', '.join([mark] * 7)})")
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    qid, vid = questionnaire.id, version.id
    day_numbers: dict[date, tuple[int, object]] = {}

    with db.session.begin_nested():
        batch: list = []
        values: list[list[float]] = []
        for index, item in enumerate(records):
            record = item if isinstance(item, ImportRecord) else ImportRecord(answers=item)
            answers = record.answers
            if not isinstance(answers, Mapping):
                raise ImportRefused(_("Row %(row)d: the answers must be an object keyed by question id.",
                                      row=index + 1), index + 1)
            if validate:
                answers, errors = validate_response(spec, answers)
                if errors:
                    raise ImportRefused(_("Row %(row)d: some answers are missing or invalid.", row=index + 1),
                                        index + 1, errors)
            try:
                row, texts = encoder.encode(answers)
            except CodingError as exc:
                raise ImportRefused(_("Row %(row)d: %(reason)s", row=index + 1, reason=str(exc)), index + 1) from None
            batch.append((index, record, answers, texts))
            values.append(row)
            if len(batch) >= batch_size:
                flush(batch, values)
                total += len(batch)
                batch, values = [], []
        if batch:
            flush(batch, values)
            total += len(batch)
    return ImportSummary(total, version.number)


# --------------------------------------------------------------------------- reading

class FilterError(DomainError):
    """A filter that names no question, variable, option or version of the questionnaire."""


@dataclass(frozen=True)
class MatrixFilter:
    """Which responses to read. Different kinds of condition must all hold;
    the values listed for one condition are alternatives.

    - ``versions``: version numbers;
    - ``date_from`` / ``date_to``: days of submission, inclusive;
    - ``unit_ids``: the respondent's unit; ``sub_district_ids``: sub-district
      federations, meaning their units (and the federation itself);
    - ``answers``: question id -> option ids (single choice: chose one of
      them; multiple choice: ticked one of them; ranking: ranked one of
      them), or question id or variable name -> values (e.g. ``{"home_rating":
      [4, 5]}``, ``{"work_satisfaction_wage": [1]}``).
    """

    versions: tuple[int, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    unit_ids: tuple[int, ...] = ()
    sub_district_ids: tuple[int, ...] = ()
    answers: Mapping[str, Collection[object]] = field(default_factory=dict)


@dataclass(frozen=True)
class RowMeta:
    """Per-row facts, aligned with the matrix rows."""

    response_id: np.ndarray  #: int64
    version: np.ndarray  #: int32 version numbers
    unit_id: np.ndarray  #: int64, -1 when the response has no unit
    submitted_on: np.ndarray  #: datetime64[D]
    #: Per row the text variables' texts ({name: text}) or None; only when asked for.
    texts: list[dict | None] | None = None

    def __len__(self) -> int:
        return len(self.response_id)


class AnswerMatrix(NamedTuple):
    """``(codebook, values, rows)``: ``values[i, v.slot]`` is response i's answer to variable v."""

    codebook: Codebook
    values: np.ndarray
    rows: RowMeta

    def column(self, name: str) -> np.ndarray:
        variable = self.codebook.variable(name)
        if variable.slot is None:
            raise KeyError(f"{name} is a text variable; it has no numeric column")
        return self.values[:, variable.slot]


def _unit_ids_of_sub_districts(ids: Collection[int]) -> set[int]:
    """Every unit at or below the given units (a federation and its units)."""
    found: set[int] = set()
    frontier = set(ids)
    while frontier:
        found |= frontier
        frontier = set(db.session.scalars(select(OrgUnit.id).where(OrgUnit.parent_id.in_(frontier)))) - found
    return found


def _version_ids(questionnaire: Questionnaire, numbers: Collection[int]) -> list[int]:
    by_number = {v.number: v.id for v in questionnaire.versions}
    unknown = sorted(set(numbers) - set(by_number))
    if unknown:
        raise FilterError(_("The questionnaire has no version %(n)d.", n=unknown[0]))
    return [by_number[n] for n in numbers]


def _answer_mask(codebook: Codebook, key: str, wanted: Collection[object]) -> Callable[[np.ndarray], np.ndarray]:
    """A function of a chunk of the matrix giving the rows that meet one answer condition."""
    wanted = list(wanted)
    if key in codebook:
        variables = [codebook.variable(key)]
    else:
        variables = [v for v in codebook.question_variables(key) if v.numeric]
    if not variables:
        raise FilterError(_("The questionnaire has no question or variable %(name)s to filter on.", name=key))
    tests: list[Callable[[np.ndarray], np.ndarray]] = []
    for v in variables:
        slot = v.slot
        if slot is None:
            raise FilterError(_("%(name)s is a text; filter on a question with options or numbers.", name=key))
        options = [w for w in wanted if isinstance(w, str)]
        numbers = [float(w) for w in wanted if isinstance(w, (int, float)) and not isinstance(w, bool)]
        if v.kind is VariableKind.CODE:
            codes = dict(v.option_codes)
            unknown = [o for o in options if o not in codes]
            if unknown and len(variables) == 1:
                raise FilterError(_("Question %(question)s has no option %(option)s.", question=v.question_id,
                                    option=unknown[0]))
            targets = np.array([codes[o] for o in options if o in codes] + numbers, dtype=np.float64)
            tests.append(lambda m, s=slot, t=targets: np.isin(m[:, s], t))
        elif v.kind in (VariableKind.SELECTED, VariableKind.RANK) and key not in codebook:
            if v.option_id in options:
                if v.kind is VariableKind.SELECTED:
                    tests.append(lambda m, s=slot: m[:, s] == 1)
                else:
                    tests.append(lambda m, s=slot: ~np.isnan(m[:, s]))
        else:
            if options and v.kind is not VariableKind.CODE:
                raise FilterError(_("Filter %(name)s on numbers, not option ids.", name=key))
            targets = np.array(numbers, dtype=np.float64)
            tests.append(lambda m, s=slot, t=targets: np.isin(m[:, s], t))
    if not tests:
        known = {v.option_id for v in variables}
        missing = next((w for w in wanted if w not in known), wanted[0] if wanted else "")
        raise FilterError(_("Question %(question)s has no option %(option)s.", question=key, option=str(missing)))

    def mask(matrix: np.ndarray) -> np.ndarray:
        result = np.zeros(matrix.shape[0], dtype=bool)
        for test in tests:
            result |= test(matrix)
        return result

    return mask


class _Reader:
    """One streamed read of a questionnaire's answer rows (see :func:`iter_matrix`).

    The rows are fetched through the driver's own cursor (a named, server-side
    cursor on PostgreSQL), inside the session's transaction: one column per
    row (two with texts) and no SQLAlchemy row objects, which is most of the
    cost of reading a million rows.
    """

    def __init__(self, questionnaire: Questionnaire, filters: MatrixFilter | None, with_texts: bool):
        self.questionnaire = questionnaire
        self.filters = filters or MatrixFilter()
        self.codebook = questionnaire_codebook(questionnaire)
        self.format = row_format(self.codebook)
        self.with_texts = with_texts
        self.version_numbers = {v.id: v.number for v in questionnaire.versions}
        f = self.filters
        #: (SQL with a {} for each value's placeholder, values); IN lists have one {} holding a list.
        self.conditions: list[tuple[str, object]] = [("questionnaire_id = {}", questionnaire.id)]
        if f.versions:
            self.conditions.append(("version_id IN {}", _version_ids(questionnaire, f.versions)))
        if f.date_from is not None:
            self.conditions.append(("submitted_on >= {}", f.date_from))
        if f.date_to is not None:
            self.conditions.append(("submitted_on <= {}", f.date_to))
        units: set[int] | None = None
        if f.unit_ids:
            units = set(f.unit_ids)
        if f.sub_district_ids:
            below = _unit_ids_of_sub_districts(f.sub_district_ids)
            units = below if units is None else units & below
        if units is not None:
            self.conditions.append(("unit_id IN {}", sorted(units) or [-1]))
        self.answer_masks = [_answer_mask(self.codebook, key, wanted) for key, wanted in f.answers.items()]

    def _where(self, dialect: str) -> tuple[str, list]:
        """The WHERE clause in the driver's own parameter style, and its parameters."""
        sqlite = dialect == "sqlite"
        parts, params = [], []
        for sql, value in self.conditions:
            if isinstance(value, list):
                if sqlite:
                    parts.append(sql.replace("IN {}", f"IN ({', '.join('?' * len(value))})"))
                    params.extend(value)
                else:
                    parts.append(sql.replace("IN {}", "= ANY(%s)"))
                    params.append(value)
                continue
            if sqlite and isinstance(value, date):
                value = value.isoformat()  # how SQLAlchemy stores dates in SQLite
            parts.append(sql.format("?" if sqlite else "%s"))
            params.append(value)
        return " AND ".join(parts), params

    def _cursor(self, sql: str, params: list, chunk_rows: int):
        connection = db.session.connection()
        raw = connection.connection.dbapi_connection
        dialect = connection.dialect.name
        if dialect == "postgresql" and chunk_rows > 1:
            cursor = raw.cursor(name=f"kaimen_answer_rows_{secrets.token_hex(4)}")
            cursor.itersize = chunk_rows
        else:
            cursor = raw.cursor()
        cursor.execute(sql, params)
        return cursor

    def count(self) -> int:
        """Rows matching the SQL conditions (an upper bound once answer filters apply)."""
        where, params = self._where(db.session.connection().dialect.name)
        cursor = self._cursor(f"SELECT COUNT(*) FROM answer_rows WHERE {where}", params, 1)  # nosec B608  # fixed SQL, bound parameters
        try:
            return int(cursor.fetchone()[0])
        finally:
            cursor.close()

    def texts(self, chunk_rows: int) -> Iterator[dict]:
        """The texts of the rows that have any, as dicts (answer filters are not applied)."""
        where, params = self._where(db.session.connection().dialect.name)
        cursor = self._cursor(f"SELECT texts FROM answer_rows WHERE {where} AND texts IS NOT NULL", params,  # nosec B608  # fixed SQL, bound parameters
                              chunk_rows)
        try:
            while rows := cursor.fetchmany(chunk_rows):
                for (value,) in rows:
                    yield json.loads(value)
        finally:
            cursor.close()

    def parts(self, chunk_rows: int) -> Iterator[list[tuple]]:
        """The matching rows as the driver returns them: (data,) or (data, texts), in chunks."""
        where, params = self._where(db.session.connection().dialect.name)
        columns = "data, texts" if self.with_texts else "data"
        cursor = self._cursor(f"SELECT {columns} FROM answer_rows WHERE {where} ORDER BY response_id", params,  # nosec B608  # fixed SQL, bound parameters
                              chunk_rows)
        try:
            while part := cursor.fetchmany(chunk_rows):
                yield part
        finally:
            cursor.close()

    def meta(self, header: np.ndarray, texts: list | None) -> RowMeta:
        numbers = self.version_numbers
        lookup = np.zeros(max(numbers, default=0) + 1, dtype=np.int32)
        for vid, number in numbers.items():
            lookup[vid] = number
        return RowMeta(
            response_id=header["response_id"].astype(np.int64),
            version=lookup[header["version_id"]],
            unit_id=header["unit_id"].astype(np.int64),
            submitted_on=header["day"].astype("datetime64[D]"),
            texts=texts,
        )

    def chunks(self, chunk_rows: int) -> Iterator[AnswerMatrix]:
        for part in self.parts(chunk_rows):
            matrix, header = self.format.unpack([r[0] for r in part])
            texts = [json.loads(r[1]) if r[1] else None for r in part] if self.with_texts else None
            rows = self.meta(header, texts)
            if self.answer_masks:
                keep = np.ones(len(part), dtype=bool)
                for mask in self.answer_masks:
                    keep &= mask(matrix)
                if not keep.all():
                    matrix, rows = matrix[keep], _take(rows, keep)
            yield AnswerMatrix(self.codebook, matrix, rows)


def _take(rows: RowMeta, keep: np.ndarray) -> RowMeta:
    texts = None if rows.texts is None else [t for t, k in zip(rows.texts, keep.tolist(), strict=True) if k]
    return RowMeta(rows.response_id[keep], rows.version[keep], rows.unit_id[keep], rows.submitted_on[keep], texts)


def iter_matrix(
    questionnaire: Questionnaire,
    filters: MatrixFilter | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    with_texts: bool = False,
) -> Iterator[AnswerMatrix]:
    """The matching responses in order of response id, ``chunk_rows`` at a time.

    Memory stays bounded by one chunk; ``with_texts`` adds each row's texts.
    Raises :class:`FilterError` (before reading) for a filter that names
    nothing in the questionnaire.
    """
    reader = _Reader(questionnaire, filters, with_texts)
    return reader.chunks(chunk_rows)


def iter_texts(questionnaire: Questionnaire, filters: MatrixFilter | None = None, *,
               chunk_rows: int = CHUNK_ROWS) -> Iterator[dict]:
    """{variable: text} of every row with texts, for the SQL-level filters only (an over-estimate)."""
    return _Reader(questionnaire, filters, True).texts(chunk_rows)


def count_rows(questionnaire: Questionnaire, filters: MatrixFilter | None = None) -> int:
    """How many rows a read with these filters goes through (before answer filters)."""
    return _Reader(questionnaire, filters, False).count()


def load_matrix(
    questionnaire: Questionnaire,
    filters: MatrixFilter | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    with_texts: bool = False,
) -> AnswerMatrix:
    """Every matching response's numeric answers as one (responses x slots) float64 matrix.

    One query, streamed in chunks of ``chunk_rows``; each chunk's blobs are
    joined and decoded with ``numpy.frombuffer`` straight into a matrix that
    is allocated once (from a count of the rows) and trimmed at the end.
    """
    reader = _Reader(questionnaire, filters, with_texts)
    expected = reader.count()
    width = reader.codebook.width
    values = np.empty((expected, width), dtype=np.float64, order="F")  # a contiguous column per variable
    header = np.empty(expected, dtype=HEADER_DTYPE)
    texts: list | None = [] if with_texts else None
    filled = 0

    def room(n: int) -> None:
        nonlocal values, header
        if filled + n > len(header):  # rows added since the count (another transaction committed)
            grow = filled + n - len(header)
            values = np.asfortranarray(np.concatenate([values, np.empty((grow, width))]))
            header = np.concatenate([header, np.empty(grow, dtype=HEADER_DTYPE)])

    if not reader.answer_masks:  # decode each chunk straight into its place in the matrix
        for part in reader.parts(chunk_rows):
            n = len(part)
            room(n)
            _, header[filled:filled + n] = reader.format.unpack([r[0] for r in part], out=values[filled:filled + n])
            if texts is not None:
                texts.extend(json.loads(r[1]) if r[1] else None for r in part)
            filled += n
        rows = reader.meta(header[:filled], texts)
    else:
        metas = []
        for chunk in reader.chunks(chunk_rows):
            n = chunk.values.shape[0]
            room(n)
            values[filled:filled + n] = chunk.values
            metas.append(chunk.rows)
            filled += n
        rows = RowMeta(*(np.concatenate([getattr(m, f) for m in metas]) if metas else empty
                         for f, empty in (("response_id", np.empty(0, np.int64)), ("version", np.empty(0, np.int32)),
                                          ("unit_id", np.empty(0, np.int64)),
                                          ("submitted_on", np.empty(0, "datetime64[D]")))),
                       texts=[t for m in metas for t in m.texts] if with_texts else None)
    if filled < len(values):
        values = values[:filled]
    return AnswerMatrix(reader.codebook, values, rows)


__all__ = [
    "AnswerMatrix",
    "CHUNK_ROWS",
    "FilterError",
    "ImportRecord",
    "ImportRefused",
    "ImportSummary",
    "MatrixFilter",
    "RowMeta",
    "bulk_import_responses",
    "coded_versions",
    "count_rows",
    "iter_matrix",
    "iter_texts",
    "load_matrix",
    "questionnaire_codebook",
    "rebuild_answer_rows",
    "row_format",
    "write_answer_row",
]

