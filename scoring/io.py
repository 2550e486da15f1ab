"""Reading a round from files and writing its results: the format outside
evaluators use with ``python -m scoring``.

Scores: a long CSV (UTF-8, a BOM from Excel is fine) with the header columns
``unit,rater,criterion,points``; one row per unit, rater and criterion;
empty ``points`` = "cannot judge". Other columns are ignored.

Configuration: one JSON object::

    {
      "framework": {"total": 100, "areas": [
          {"code": "rights", "title": "...", "weight": 10, "criteria": [
              {"code": "rights.1", "title": "...", "max_points": 2, "step": 0.5}, ...]}, ...]},
      "settings": {"method": "trimmed", "trim": 1, "min_raters": 3, "fallback": "median",
                   "missing_policy": "rescale", "bootstrap": 2000, "seed": 20140601,
                   "confidence": 0.95, "shrinkage": 0.0},
      "raters": [{"id": "r01", "type": "worker_representative", "home_unit": "u03",
                  "sub_district": "...", "industry": "...", "panel": "P1"}, ...],
      "units": [{"id": "u01", "kind": "directly_affiliated", "parent": null,
                 "sub_district": "...", "industry": "...", "children": []}, ...],
      "recusal": {"own_unit": true, "parent_child": true, "same_sub_district": false,
                  "same_industry": false,
                  "relationships": [{"rater": "r05", "unit": "u02", "reason": "..."}],
                  "declared": []}
    }

``settings`` and ``recusal`` may be left out (defaults of
:class:`~scoring.types.Settings` and :class:`~scoring.recusal.RecusalRules`);
in every object only ``id``/``code`` and the numbers that define the
framework are required. Unknown keys are refused, so a misspelt setting
cannot pass unnoticed.

Every error is an :class:`InputFileError` whose message starts with the file
name and, where it applies, the CSV line or the JSON path.
"""

from __future__ import annotations

import csv
import io as _io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from scoring.aggregate import ScoreRowError, check_settings
from scoring.recusal import RecusalRules, Relationship
from scoring.types import (
    AggregationMethod,
    Area,
    Criterion,
    Framework,
    MissingPolicy,
    RaterInfo,
    RaterType,
    Score,
    ScoringInputError,
    Settings,
    UnitInfo,
)

SCORE_COLUMNS = ("unit", "rater", "criterion", "points")


class InputFileError(ScoringInputError):
    """A problem with an input file; the message names the file and the line or key."""


@dataclass(frozen=True)
class ScoreTable:
    """Scores read from a CSV file, with the file line of each row for messages."""

    path: str
    scores: tuple[Score, ...]
    lines: tuple[int, ...]  #: file line number (header = 1) of each score

    def locate(self, error: ScoreRowError) -> InputFileError:
        """Turn an engine error about row i into one naming this file and line."""
        line = self._line(error.row)
        detail = error.detail
        if error.duplicate_of is not None:
            detail = detail.replace(f"duplicates row {error.duplicate_of}", f"duplicates line {self._line(error.duplicate_of)}")
        return InputFileError(f"{self.path}: line {line} (data row {error.row + 1}): {detail}")

    def _line(self, row: int) -> int | str:
        return self.lines[row] if 0 <= row < len(self.lines) else "?"


@dataclass(frozen=True)
class RoundConfig:
    """Framework, settings, raters, units and recusal rules of one round."""

    framework: Framework
    settings: Settings
    raters: dict[str, RaterInfo]
    units: dict[str, UnitInfo]
    rules: RecusalRules


# --------------------------------------------------------------------------- scores


def read_scores_csv(path: str | Path) -> ScoreTable:
    """Read the long score CSV.

    Raises
    ------
    InputFileError
        The file cannot be read, a column is missing, or a row has an empty
        unit/rater/criterion or points that are not a number; the message names
        the file and the line.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("unit,rater,criterion,points\\nu1,r1,c1,2.5\\nu1,r2,c1,\\n")
    >>> table = read_scores_csv(f.name); os.unlink(f.name)
    >>> [(s.rater, s.points) for s in table.scores], table.lines
    ([('r1', 2.5), ('r2', None)], (2, 3))
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{name}: cannot read the file: {exc}") from None
    return parse_scores_csv(text, name)


def parse_scores_csv(text: str, name: str = "scores.csv") -> ScoreTable:
    """Parse the long score CSV from a string (see :func:`read_scores_csv`)."""
    reader = csv.DictReader(_io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in SCORE_COLUMNS if c not in header]
    if missing:
        raise InputFileError(
            f"{name}: line 1: missing column(s) {', '.join(missing)}; the header must name {','.join(SCORE_COLUMNS)}"
        )
    reader.fieldnames = header
    scores: list[Score] = []
    lines: list[int] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InputFileError(f"{name}: line {line}: more fields than the header has columns")
        values = {c: (row.get(c) or "").strip() for c in SCORE_COLUMNS}
        if not any(values.values()):
            continue
        for c in ("unit", "rater", "criterion"):
            if not values[c]:
                raise InputFileError(f"{name}: line {line}: empty {c}")
        points: float | None
        if values["points"] == "":
            points = None
        else:
            try:
                points = float(values["points"])
            except ValueError:
                raise InputFileError(f"{name}: line {line}: points {values['points']!r} are not a number") from None
            if not math.isfinite(points):
                raise InputFileError(f"{name}: line {line}: points {values['points']!r} are not a finite number")
        scores.append(Score(values["unit"], values["rater"], values["criterion"], points))
        lines.append(line)
    return ScoreTable(name, tuple(scores), tuple(lines))


# --------------------------------------------------------------------------- config


def read_config(path: str | Path) -> RoundConfig:
    """Read and check the round configuration JSON (see the module docstring).

    Raises
    ------
    InputFileError
        The file cannot be read or parsed, a key is unknown or missing, a value
        has the wrong type, or the framework or settings are invalid; the
        message names the file and the JSON path.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{name}: cannot read the file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{name}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}") from None
    return config_from_dict(data, name)


def config_from_dict(data: object, name: str = "config.json") -> RoundConfig:
    """Build a :class:`RoundConfig` from parsed JSON, checking every key."""
    try:
        obj = _object(data, "the top level", {"framework", "settings", "raters", "units", "recusal"}, {"framework", "raters", "units"})
        framework = _framework(obj["framework"])
        settings = _settings(obj.get("settings", {}))
        raters = _records(obj["raters"], "raters", _rater)
        units = _records(obj["units"], "units", _unit)
        rules = _rules(obj.get("recusal", {}))
        try:
            framework.validate()
        except ScoringInputError as exc:
            raise ScoringInputError(f"framework: {exc}") from None
        check_settings(settings)
    except ScoringInputError as exc:
        raise InputFileError(f"{name}: {exc}") from None
    return RoundConfig(framework, settings, raters, units, rules)


def _object(value, where: str, allowed: set[str], required: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise ScoringInputError(f"{where}: expected an object, got {_json_type(value)}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ScoringInputError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    absent = sorted(required - set(value))
    if absent:
        raise ScoringInputError(f"{where}: missing key {absent[0]!r}")
    return value


def _list(value, where: str) -> list:
    if not isinstance(value, list):
        raise ScoringInputError(f"{where}: expected a list, got {_json_type(value)}")
    return value


def _str(value, where: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ScoringInputError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScoringInputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _integer(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScoringInputError(f"{where}: expected a whole number, got {value!r}")
    return value


def _bool(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise ScoringInputError(f"{where}: expected true or false, got {value!r}")
    return value


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _framework(value) -> Framework:
    obj = _object(value, "framework", {"total", "areas"}, {"areas"})
    areas = []
    for a, area_value in enumerate(_list(obj["areas"], "framework.areas")):
        where = f"framework.areas[{a}]"
        area = _object(area_value, where, {"code", "title", "weight", "criteria"}, {"code", "weight", "criteria"})
        code = _str(area["code"], f"{where}.code")
        criteria = []
        for c, crit_value in enumerate(_list(area["criteria"], f"{where}.criteria")):
            cwhere = f"{where}.criteria[{c}]"
            crit = _object(crit_value, cwhere, {"code", "title", "max_points", "step", "area"}, {"code", "max_points"})
            criteria.append(
                Criterion(
                    code=_str(crit["code"], f"{cwhere}.code"),
                    area=_str(crit.get("area", code), f"{cwhere}.area"),
                    max_points=_number(crit["max_points"], f"{cwhere}.max_points"),
                    step=_number(crit.get("step", 0.5), f"{cwhere}.step"),
                    title=str(crit.get("title", "")),
                )
            )
        areas.append(Area(code, _number(area["weight"], f"{where}.weight"), tuple(criteria), str(area.get("title", ""))))
    return Framework(tuple(areas), _number(obj.get("total", 100.0), "framework.total"))


def _settings(value) -> Settings:
    names = {f.name for f in fields(Settings)}
    obj = _object(value, "settings", names)
    changes = {}
    for key, item in obj.items():
        where = f"settings.{key}"
        if key in ("method", "fallback"):
            changes[key] = _enum(AggregationMethod, item, where)
        elif key == "missing_policy":
            changes[key] = _enum(MissingPolicy, item, where)
        elif key in ("trim", "min_raters", "bootstrap", "seed"):
            changes[key] = _integer(item, where)
        else:
            changes[key] = _number(item, where)
    return Settings(**changes)


def _enum(kind, value, where: str):
    try:
        return kind(value)
    except ValueError:
        raise ScoringInputError(f"{where}: {value!r} is not one of {', '.join(m.value for m in kind)}") from None


def _records(value, where: str, build) -> dict:
    out = {}
    for i, item in enumerate(_list(value, where)):
        record = build(item, f"{where}[{i}]")
        if record.id in out:
            raise ScoringInputError(f"{where}[{i}]: id {record.id!r} appears twice")
        out[record.id] = record
    return out


def _rater(value, where: str) -> RaterInfo:
    obj = _object(value, where, {"id", "type", "home_unit", "sub_district", "industry", "panel"}, {"id"})
    return RaterInfo(
        id=_str(obj["id"], f"{where}.id"),
        rater_type=_enum(RaterType, obj.get("type", RaterType.WORKER_REPRESENTATIVE.value), f"{where}.type"),
        home_unit=_str(obj.get("home_unit"), f"{where}.home_unit", optional=True),
        sub_district=_str(obj.get("sub_district"), f"{where}.sub_district", optional=True),
        industry=_str(obj.get("industry"), f"{where}.industry", optional=True),
        panel=_str(obj.get("panel"), f"{where}.panel", optional=True),
    )


def _unit(value, where: str) -> UnitInfo:
    obj = _object(value, where, {"id", "kind", "parent", "sub_district", "industry", "children", "title"}, {"id"})
    children = tuple(_str(c, f"{where}.children[{i}]") for i, c in enumerate(_list(obj.get("children", []), f"{where}.children")))
    return UnitInfo(
        id=_str(obj["id"], f"{where}.id"),
        kind=_str(obj.get("kind", "directly_affiliated"), f"{where}.kind"),
        parent=_str(obj.get("parent"), f"{where}.parent", optional=True),
        sub_district=_str(obj.get("sub_district"), f"{where}.sub_district", optional=True),
        industry=_str(obj.get("industry"), f"{where}.industry", optional=True),
        children=children,
    )


def _rules(value) -> RecusalRules:
    flags = ("own_unit", "parent_child", "same_sub_district", "same_industry")
    obj = _object(value, "recusal", set(flags) | {"relationships", "declared"})
    changes = {k: _bool(obj[k], f"recusal.{k}") for k in flags if k in obj}
    for key in ("relationships", "declared"):
        records = []
        for i, item in enumerate(_list(obj.get(key, []), f"recusal.{key}")):
            where = f"recusal.{key}[{i}]"
            rec = _object(item, where, {"rater", "unit", "reason"}, {"rater", "unit"})
            records.append(Relationship(_str(rec["rater"], f"{where}.rater"), _str(rec["unit"], f"{where}.unit"), str(rec.get("reason", ""))))
        changes[key] = frozenset(records)
    return RecusalRules(**changes)


# --------------------------------------------------------------------------- output


def result_json(result) -> str:
    """The result as indented JSON text (``nan`` already turned into ``null``)."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)


def table_csv(rows: list[Mapping], columns: tuple[str, ...] | None = None) -> str:
    """One table as CSV text; ``None`` becomes an empty field."""
    buffer = _io.StringIO()
    header = list(columns) if columns is not None else list(rows[0]) if rows else []
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n", extrasaction="raise")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def write_outputs(result, out_dir: str | Path) -> list[Path]:
    """Write ``result.json`` and one ``<table>.csv`` per table into ``out_dir``."""
    from scoring.engine import TABLE_COLUMNS

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "result.json"]
    written[0].write_text(result_json(result) + "\n", encoding="utf-8")
    for name, rows in result.tables().items():
        path = out / f"{name}.csv"
        path.write_text(table_csv(rows, TABLE_COLUMNS.get(name)), encoding="utf-8")
        written.append(path)
    return written
