"""Survey exports for third-party evaluators: one row per respondent, under small-cell protection.

The staff exports (:mod:`survey.exports`) hold every response as answered. An
evaluator gets the same formats (CSV, XLSX, SPSS ``.sav``, JSON) and the same
variable names and codes, but no row can be singled out by what an outsider
may know about a respondent, and no value rests on fewer than k respondents.
Thresholds are the app's (``SMALL_CELL_K``, default 5; ``SMALL_CELL_K_ENTERPRISE``,
default 10), the same that the needs report uses.

Policy
------
1. **Nothing that identifies a response.** Response ids are replaced by case
   numbers 1..n in an order fixed by a keyed hash of the response id (not the
   order of submission); the submission day and the questionnaire version are
   left out; free texts (text answers and "other, please specify" texts) are
   left out whole: they may name people, and the needs report lists them only
   from ``SMALL_CELL_K_TEXT`` writers on, never per group.
2. **Key variables** are what an outsider may know about a respondent: the
   unit code, the sub-district code and every variable of a question tagged
   demographic (gender, age band, industry, ...). For each of them, a value
   held by fewer than k respondents (fewer than ``k_enterprise`` for the unit
   code) is withheld; then every combination of key values must be shared by
   at least k rows (at least ``k_enterprise`` when the unit code is shown), or
   keys are withheld row by row (local suppression: the unit code first, then
   the keys with the most distinct values) until it is — a row whose keys are
   all withheld shows none and needs no partner. The unit code is shown only
   on rows whose other keys are all shown, so a withheld key can never be read
   back from the unit.
3. **Other answers**: a value given by fewer than k respondents is withheld.
4. **A withheld answer never stands alone.** While a column has 1..k-1
   answers withheld for being rare, more answers of its most common value
   (the first in case order) are withheld until there are k: an empty cell
   then hides among at least k respondents even where the question was
   compulsory, or where the neighbouring columns show that the respondent
   answered (the 0/1 ticks of a multiple choice). A ranking row with one
   withheld rank withholds its other ranks of that question too, since the
   ranks left would give the missing one back.

Withheld cells are exported empty, like an unanswered question (SPSS
system-missing): a blank never counts in a mean. :class:`Protection` says how
many cells of each column were withheld, for the evaluator page.

The whole answer matrix is loaded (as the needs analysis does) because the
protection needs every row's keys at once; writing then streams in chunks
through the staff exports' writers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from flask import current_app, has_app_context
from flask_babel import gettext as _

from forms.questionnaire.codebook import TEXT_KINDS, Codebook, VariableKind
from forms.questionnaire.spec import LocalizedText
from scoring.survey import K_DEFAULT, K_PER_ENTERPRISE
from survey.exports import (
    FORMATS,
    ExportError,
    ExportFile,
    _csv,
    _json,
    _via_file,
    _writer,
)
from survey.exports.table import (
    META_COLUMNS,
    Column,
    UnitCodes,
    _cell_type,  # the staff export's cell types, so the formats agree
    chunk_cells,
    neutralise,
)
from survey.models import Questionnaire
from survey.services.answer_columns import AnswerMatrix, RowMeta, load_matrix

__all__ = [
    "EXPORT_CHUNK",
    "KeyColumns",
    "ProtectedTable",
    "Protection",
    "SpooledFile",
    "evaluator_export",
    "evaluator_filename",
    "k_anonymise",
    "protect",
    "spool",
    "thresholds",
    "withhold_rare",
]

#: Rows handed to a writer per step.
EXPORT_CHUNK = 20_000
#: The case number column (instead of the response id).
CASE_COLUMN = Column("case", LocalizedText("个案编号", "Case number"), "int", fact="response_id")
#: Facts of the staff export that evaluators do not get.
DROPPED_FACTS = ("response_id", "version", "submitted_on")

_NO_ANSWER = -2
_WITHHELD = -1


def thresholds(k: int | None = None, k_unit: int | None = None) -> tuple[int, int]:
    """(k, k for one enterprise): the arguments, else the app config, else 5 and 10."""
    config = current_app.config if has_app_context() else {}
    k = int(k if k is not None else config.get("SMALL_CELL_K", K_DEFAULT))
    k_unit = int(k_unit if k_unit is not None else config.get("SMALL_CELL_K_ENTERPRISE", max(K_PER_ENTERPRISE, k)))
    if k < 1 or k_unit < 1:
        raise ValueError("small-cell thresholds must be whole numbers >= 1")
    return k, max(k, k_unit)


# --------------------------------------------------------------------------- pure protection steps


def withhold_rare(values: np.ndarray, withheld: np.ndarray, k: int) -> None:
    """In place on ``withheld``: withhold every value shown in fewer than ``k`` rows; while
    1..k-1 answered cells are withheld, withhold more answers of the most common value
    (first rows first) so that a withheld cell always hides among at least ``k``.

    ``values`` is a float column (``nan`` = no answer); unanswered cells do not
    count as hiding places. Taking answers away may make a value rare in turn,
    so this repeats until nothing changes.
    """
    answered = ~np.isnan(values)
    while True:
        shown = answered & ~withheld
        if not shown.any():
            return
        uniq, inverse, counts = np.unique(values[shown], return_inverse=True, return_counts=True)
        rare = counts < k
        if rare.any():
            withheld[np.flatnonzero(shown)[rare[inverse.ravel()]]] = True
            continue
        hidden = int(np.count_nonzero(withheld & answered))
        if 0 < hidden < k:
            common = uniq[int(np.argmax(counts))]  # ties: the smallest value
            withheld[np.flatnonzero(shown & (values == common))[:k - hidden]] = True
            continue
        return


def _codes(keys: np.ndarray, withheld: np.ndarray) -> np.ndarray:
    """Small integer codes per key column: value index, -2 no answer, -1 withheld."""
    codes = np.full(keys.shape, _NO_ANSWER, dtype=np.int64)
    for j in range(keys.shape[1]):
        column = keys[:, j]
        answered = ~np.isnan(column)
        if answered.any():
            codes[answered, j] = np.unique(column[answered], return_inverse=True)[1].ravel()
    codes[withheld] = _WITHHELD
    return codes


@dataclass(frozen=True)
class KeyColumns:
    """The key variables as a float matrix (``nan`` = no answer), with per column its k and name."""

    values: np.ndarray
    names: tuple[str, ...]
    ks: tuple[int, ...]
    #: Index of the unit code column (shown only with every other key of its row), if any.
    unit: int | None = None


def k_anonymise(keys: KeyColumns, k: int, k_unit: int) -> np.ndarray:
    """The withheld mask (rows x key columns) after rare values and local suppression.

    First each column's rare values are withheld (:func:`withhold_rare`, with
    its k); then, row by row, keys in priority order (the unit code, then the
    columns with the most distinct values) until every row whose keys are not
    all withheld shares its combination (withheld counted as a value of its
    own) with at least k rows, or ``k_unit`` rows when its unit code is shown.
    Every value shown is then held by at least its column's k rows. The unit
    code is withheld on every row with another key withheld.
    """
    values = keys.values
    n, m = values.shape
    withheld = np.zeros((n, m), dtype=bool)
    if n == 0 or m == 0:
        return withheld
    distinct = [len(np.unique(values[~np.isnan(values[:, j]), j])) for j in range(m)]
    rest = sorted((j for j in range(m) if j != keys.unit), key=lambda j: (-distinct[j], j))
    priority = np.array(([keys.unit] if keys.unit is not None else []) + rest, dtype=np.int64)
    others = [j for j in range(m) if j != keys.unit]
    for j in range(m):
        column = withheld[:, j].copy()
        withhold_rare(values[:, j], column, keys.ks[j])
        withheld[:, j] = column
    while True:
        if keys.unit is not None and others:
            withheld[:, keys.unit] |= withheld[:, others].any(axis=1)
        _, inverse, counts = np.unique(_codes(values, withheld), axis=0, return_inverse=True, return_counts=True)
        size = counts[inverse.ravel()]
        need = np.full(n, k, dtype=np.int64)
        if keys.unit is not None:
            unit_shown = ~withheld[:, keys.unit] & ~np.isnan(values[:, keys.unit])
            need[unit_shown] = k_unit
        small = (size < need) & ~withheld.all(axis=1)
        if not small.any():
            return withheld
        rows = np.flatnonzero(small)
        first = np.argmax(~withheld[np.ix_(rows, priority)], axis=1)
        withheld[rows, priority[first]] = True


# --------------------------------------------------------------------------- the protected table


@dataclass(frozen=True)
class Protection:
    """What the protection did, for the evaluator page and the tests."""

    k: int
    k_unit: int
    rows: int
    #: Export names of the key columns (unit, sub-district, demographic variables).
    keys: tuple[str, ...]
    #: Export column -> answered cells withheld.
    withheld: dict[str, int] = field(default_factory=dict)
    #: Columns with every answered cell withheld.
    whole: tuple[str, ...] = ()
    #: Variables left out: free texts (the facts response id, version and day are always left out).
    dropped: tuple[str, ...] = ()

    @property
    def cells_withheld(self) -> int:
        return sum(self.withheld.values())


class _Codes:
    """Stands in for :class:`UnitCodes`: synthetic unit ids -> (unit code or None, sub-district code or None)."""

    def __init__(self, pairs: dict[int, tuple[str | None, str | None]]):
        self.code = {i: unit for i, (unit, _sub) in pairs.items()}
        self.sub_district = {i: sub for i, (_unit, sub) in pairs.items()}

    def longest(self) -> int:
        return max((len(c.encode("utf-8")) for c in self.code.values() if c), default=1)


@dataclass
class ProtectedTable:
    """The protected rows in case order: numeric answers (withheld = ``nan``) and per row its codes."""

    questionnaire: Questionnaire
    codebook: Codebook
    columns: list[Column]
    values: np.ndarray
    case: np.ndarray
    #: Synthetic id per row into ``units`` (-1: neither code shown).
    unit_ref: np.ndarray
    units: _Codes
    protection: Protection

    def __len__(self) -> int:
        return len(self.case)

    def chunks(self, chunk_rows: int = EXPORT_CHUNK) -> Iterator[AnswerMatrix]:
        n = len(self.case)
        version = np.zeros(n, dtype=np.int32)
        days = np.zeros(n, dtype="datetime64[D]")
        for start in range(0, n, chunk_rows):
            part = slice(start, start + chunk_rows)
            rows = RowMeta(self.case[part], version[part], self.unit_ref[part], days[part], None)
            yield AnswerMatrix(self.codebook, self.values[part], rows)


def _case_order(response_ids: np.ndarray, questionnaire_id: int) -> np.ndarray:
    """A permutation of the rows by a keyed hash of the response id: stable, and not the order of submission."""
    secret = str(current_app.config.get("SECRET_KEY") or "") if has_app_context() else ""
    key = hashlib.sha256(f"kaimen-evaluator-export:{secret}".encode()).digest()
    digests = [hmac.new(key, f"{questionnaire_id}:{rid}".encode(), hashlib.sha256).digest()
               for rid in response_ids.tolist()]
    return np.array(sorted(range(len(digests)), key=digests.__getitem__), dtype=np.int64)


def _columns(codebook: Codebook) -> tuple[list[Column], tuple[str, ...]]:
    """Case number, unit and sub-district codes, then every numeric variable; and the texts left out."""
    keep = [v for v in codebook.variables if v.kind not in TEXT_KINDS and v.slot is not None]
    dropped = tuple(v.name for v in codebook.variables if v.kind in TEXT_KINDS or v.slot is None)
    taken = {v.name.casefold() for v in keep}
    meta = []
    for column in (CASE_COLUMN, *(c for c in META_COLUMNS if c.fact not in DROPPED_FACTS)):
        name = column.name
        while name.casefold() in taken:
            name += "_"
        taken.add(name.casefold())
        meta.append(Column(name, column.label, column.cell, fact=column.fact))
    return meta + [Column(v.name, v.label, _cell_type(v), v) for v in keep], dropped


def protect(questionnaire: Questionnaire, *, k: int | None = None, k_unit: int | None = None) -> ProtectedTable:
    """Every response of the questionnaire, protected as the module's policy says."""
    k, k_unit = thresholds(k, k_unit)
    matrix = load_matrix(questionnaire)
    codebook = matrix.codebook
    order = _case_order(matrix.rows.response_id, questionnaire.id)
    values = np.array(matrix.values[order], dtype=np.float64, order="F")
    unit_ids = matrix.rows.unit_id[order]
    n = len(order)
    columns, dropped = _columns(codebook)
    by_name = {c.name: c for c in columns}
    unit_name = next(c.name for c in columns if c.fact == "unit_code")
    sub_name = next(c.name for c in columns if c.fact == "sub_district_code")

    # the key matrix: unit, sub-district, the variables of demographic questions
    units = UnitCodes()
    unit_codes = [units.code.get(u) if u >= 0 else None for u in unit_ids.tolist()]
    sub_codes = [units.sub_district.get(u) if u >= 0 else None for u in unit_ids.tolist()]

    def as_numbers(codes: list[str | None]) -> np.ndarray:
        index = {c: i for i, c in enumerate(sorted({c for c in codes if c is not None}))}
        return np.array([np.nan if c is None else float(index[c]) for c in codes], dtype=np.float64)

    demographic_questions = {v.question_id for v in codebook.variables if v.demographic is not None}
    key_vars = [c.variable for c in columns
                if c.variable is not None and c.variable.question_id in demographic_questions]
    key_names = (unit_name, sub_name, *(v.name for v in key_vars))
    key_values = np.column_stack(
        [as_numbers(unit_codes), as_numbers(sub_codes)] + [values[:, v.slot] for v in key_vars]
    ) if n else np.empty((0, len(key_names)))
    keys = KeyColumns(key_values, key_names, (k_unit, k) + (k,) * len(key_vars), unit=0)
    key_withheld = k_anonymise(keys, k, k_unit)

    withheld_counts: dict[str, int] = {}
    whole: list[str] = []

    def note(name: str, answered: np.ndarray, mask: np.ndarray) -> None:
        count = int(np.count_nonzero(mask & answered))
        if count:
            withheld_counts[name] = count
            if count == int(np.count_nonzero(answered)):
                whole.append(name)

    for j, name in enumerate(key_names):
        note(name, ~np.isnan(key_values[:, j]), key_withheld[:, j])
    for j, variable in enumerate(key_vars, start=2):
        values[key_withheld[:, j], variable.slot] = np.nan

    # the other answers
    key_slots = {v.slot for v in key_vars}
    others = [c.variable for c in columns if c.variable is not None and c.variable.slot not in key_slots]
    masks = {v.name: np.zeros(n, dtype=bool) for v in others}
    ranks: dict[str, list] = {}
    for v in others:
        if v.kind is VariableKind.RANK:
            ranks.setdefault(v.question_id, []).append(v)
    changed = True
    while changed:
        changed = False
        for v in others:
            column, mask = values[:, v.slot], masks[v.name]
            before = int(mask.sum())
            withhold_rare(column, mask, k)
            changed |= int(mask.sum()) != before
        for group in ranks.values():
            any_withheld = np.zeros(n, dtype=bool)
            for v in group:
                any_withheld |= masks[v.name] & ~np.isnan(values[:, v.slot])
            for v in group:
                mask = masks[v.name]
                grow = any_withheld & ~mask & ~np.isnan(values[:, v.slot])
                if grow.any():
                    mask |= grow
                    changed = True
    for v in others:
        note(v.name, ~np.isnan(values[:, v.slot]), masks[v.name])
        values[masks[v.name], v.slot] = np.nan

    # per row the codes still shown, as synthetic unit ids
    pairs: dict[tuple[str | None, str | None], int] = {}
    unit_ref = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        pair = (None if key_withheld[i, 0] else unit_codes[i], None if key_withheld[i, 1] else sub_codes[i])
        if pair != (None, None):
            unit_ref[i] = pairs.setdefault(pair, len(pairs) + 1)
    codes = _Codes({ref: pair for pair, ref in pairs.items()})
    protection = Protection(
        k=k, k_unit=k_unit, rows=n, keys=key_names,
        withheld={name: withheld_counts[name] for name in by_name if name in withheld_counts},
        whole=tuple(name for name in by_name if name in whole), dropped=dropped,
    )
    case = np.arange(1, n + 1, dtype=np.int64)
    return ProtectedTable(questionnaire, codebook, columns, values, case, unit_ref, codes, protection)


# --------------------------------------------------------------------------- files


class _ProtectedJob:
    """What the staff export's writers read (see ``survey.exports._Job``), from a protected table."""

    def __init__(self, table: ProtectedTable, language: str, chunk_rows: int):
        self.questionnaire = table.questionnaire
        self.filters = None
        self.locale = language
        self.progress = None
        self.chunk_rows = chunk_rows
        self.rows = len(table)
        self.codebook = table.codebook
        self.columns = table.columns
        self.names = [c.name for c in table.columns]
        self.units = table.units
        self.table = table

    def chunks(self):
        return self.table.chunks(self.chunk_rows)

    def cells(self, *, dates_as_text: bool, spreadsheet: bool):
        for chunk in self.chunks():
            columns = chunk_cells(chunk, self.columns, self.units, dates_as_text=dates_as_text,
                                  text=neutralise if spreadsheet else None)
            yield list(zip(*columns))


def evaluator_filename(questionnaire: Questionnaire, fmt: str) -> str:
    return f"questionnaire-{questionnaire.id}-responses-protected.{FORMATS[fmt][1]}"


def evaluator_export(
    questionnaire: Questionnaire,
    fmt: str,
    *,
    language: str = "zh",
    k: int | None = None,
    k_unit: int | None = None,
    chunk_rows: int = EXPORT_CHUNK,
) -> tuple[ExportFile, Protection]:
    """The protected export in ``fmt`` (csv, xlsx, sav or json) and what its protection withheld."""
    if fmt not in FORMATS:
        raise ExportError(_("Unknown export format %(format)s; use csv, xlsx, sav or json.", format=fmt))
    if language not in ("zh", "en"):
        raise ExportError(_("Unknown language %(language)s; use zh or en.", language=language))
    table = protect(questionnaire, k=k, k_unit=k_unit)
    job = _ProtectedJob(table, language, chunk_rows)
    if fmt == "csv":
        chunks = _csv(job)
    elif fmt == "json":
        chunks = _json(job)
    else:
        write = _writer(fmt)
        chunks = _via_file(lambda path: write(job, path))
    export = ExportFile(evaluator_filename(questionnaire, fmt), FORMATS[fmt][0], chunks, len(table))
    return export, table.protection


@dataclass
class SpooledFile:
    """A finished download in a temporary file, with its SHA-256 known before it is served."""

    path: Path
    filename: str
    mimetype: str
    sha256: str
    size: int

    def stream(self, piece: int = 1 << 20) -> Iterator[bytes]:
        """The content in pieces; the file is deleted when the stream ends or is closed."""
        try:
            with open(self.path, "rb") as handle:
                while data := handle.read(piece):
                    yield data
        finally:
            self.discard()

    def read(self) -> bytes:
        return self.path.read_bytes()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def spool(export: ExportFile) -> SpooledFile:
    """Write an export to a temporary file while hashing it (the audit entry needs the hash first)."""
    handle, name = tempfile.mkstemp(prefix="kaimen-evaluator-")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(handle, "wb") as out:
            for piece in export.chunks:
                digest.update(piece)
                size += len(piece)
                out.write(piece)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return SpooledFile(Path(name), export.filename, export.mimetype, digest.hexdigest(), size)
