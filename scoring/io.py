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
                  "declared": []},
      "composite": {"total_weight": 100, "open_door_weight": 60, "units": [
          {"unit": "u01",
           "targets": [{"code": "mutual_aid_card_rate", "title": "...", "actual": 0.81,
                        "target": 0.90, "weight": 20, "direction": "higher", "floor": 0}],
           "surveys": [{"code": "member_satisfaction", "title": "...", "value": 0.75,
                        "weight": 20, "scale": "share"}]}, ...]}
    }

``settings`` and ``recusal`` may be left out (defaults of
:class:`~scoring.types.Settings` and :class:`~scoring.recusal.RecusalRules`);
in every object only ``id``/``code`` and the numbers that define the
framework are required. Unknown keys are refused, so a misspelt setting
cannot pass unnoticed.

``composite`` is optional: the composite assessment
(:func:`scoring.composite.round_composites`) of each unit it lists. The
open-door component is that unit's total from the round itself, with weight
``open_door_weight`` (required); ``targets`` are
:class:`~scoring.composite.TargetIndicator` (``code``, ``actual``,
``target``, ``weight`` required; ``direction`` "higher" (default, with
``floor``, default 0) or "lower" (with ``worst``)) and ``surveys`` are
:class:`~scoring.composite.SurveyComponent` (``code``, ``value``, ``weight``
required; ``scale`` "percent" (default, 0-100) or "share" (0-1)). Per unit
the weights must add up to ``total_weight`` (default 100) and the codes must
differ; the unit must be one of ``units``. With it, the result gains a
``composite`` entry and the tables ``composite`` and ``composite_components``.

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
from scoring.composite import (
    COMPOSITE_COLUMNS,
    CompositeSpec,
    RoundComposite,
    SurveyComponent,
    TargetIndicator,
    UnitComposite,
    check_weights,
)
from scoring.engine import TABLE_COLUMNS
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
    """Framework, settings, raters, units and recusal rules of one round, and
    optionally how to combine its totals into a composite assessment."""

    framework: Framework
    settings: Settings
    raters: dict[str, RaterInfo]
    units: dict[str, UnitInfo]
    rules: RecusalRules
    composite: CompositeSpec | None = None


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
        sections = {"framework", "settings", "raters", "units", "recusal", "composite"}
        obj = _object(data, "the top level", sections, {"framework", "raters", "units"})
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
        composite = _composite(obj["composite"], units) if "composite" in obj else None
    except ScoringInputError as exc:
        raise InputFileError(f"{name}: {exc}") from None
    return RoundConfig(framework, settings, raters, units, rules, composite)


def _expect(ok: bool, where: str, expected: str, got: str) -> None:
    """The one shape of a JSON type error: ``<path>: expected <what>, got <value>``."""
    if not ok:
        raise ScoringInputError(f"{where}: expected {expected}, got {got}")


def _object(value, where: str, allowed: set[str], required: set[str] = frozenset()) -> dict:
    _expect(isinstance(value, dict), where, "an object", _json_type(value))
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ScoringInputError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    absent = sorted(required - set(value))
    if absent:
        raise ScoringInputError(f"{where}: missing key {absent[0]!r}")
    return value


def _list(value, where: str) -> list:
    _expect(isinstance(value, list), where, "a list", _json_type(value))
    return value


def _str(value, where: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    _expect(isinstance(value, str) and bool(value.strip()), where, "a non-empty string", repr(value))
    return value


def _number(value, where: str) -> float:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    _expect(is_number, where, "a number", repr(value))
    return float(value)


def _integer(value, where: str) -> int:
    _expect(isinstance(value, int) and not isinstance(value, bool), where, "a whole number", repr(value))
    return value


def _bool(value, where: str) -> bool:
    _expect(isinstance(value, bool), where, "true or false", repr(value))
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


def parse_composite(value, units: dict[str, UnitInfo]) -> CompositeSpec:
    """The ``composite`` section of a config, checked as ``python -m scoring`` checks it
    (public for callers that store the section on its own, such as a round's inputs)."""
    return _composite(value, units)


def _composite(value, units: dict[str, UnitInfo]) -> CompositeSpec:
    obj = _object(value, "composite", {"total_weight", "open_door_weight", "units"}, {"open_door_weight", "units"})
    spec = CompositeSpec(
        open_door_weight=_number(obj["open_door_weight"], "composite.open_door_weight"),
        units=(),
        total_weight=_number(obj.get("total_weight", 100.0), "composite.total_weight"),
    )
    if spec.open_door_weight <= 0:
        raise ScoringInputError(f"composite.open_door_weight: {spec.open_door_weight:g}; it must be positive")
    entries: list[UnitComposite] = []
    listed: dict[str, int] = {}
    for i, item in enumerate(_list(obj["units"], "composite.units")):
        where = f"composite.units[{i}]"
        rec = _object(item, where, {"unit", "targets", "surveys"}, {"unit"})
        unit = _str(rec["unit"], f"{where}.unit")
        if unit not in units:
            raise ScoringInputError(f"{where}.unit: {unit!r} is not in units")
        if unit in listed:
            raise ScoringInputError(f"{where}.unit: {unit!r} is already listed at composite.units[{listed[unit]}]")
        listed[unit] = i
        targets = _list(rec.get("targets", []), f"{where}.targets")
        surveys = _list(rec.get("surveys", []), f"{where}.surveys")
        entry = UnitComposite(
            unit,
            tuple(_target(t, f"{where}.targets[{j}]") for j, t in enumerate(targets))
            + tuple(_survey(v, f"{where}.surveys[{j}]") for j, v in enumerate(surveys)),
        )
        try:  # the open-door total comes from the round; codes and weights can be checked now
            check_weights(spec.components(entry, open_door_total=0.0), spec.total_weight)
        except ScoringInputError as exc:
            raise ScoringInputError(f"{where}: {exc}") from None
        entries.append(entry)
    return CompositeSpec(spec.open_door_weight, tuple(entries), spec.total_weight)


def _target(value, where: str) -> TargetIndicator:
    allowed = {"code", "title", "actual", "target", "weight", "direction", "floor", "worst"}
    obj = _object(value, where, allowed, {"code", "actual", "target", "weight"})
    worst = obj.get("worst")
    indicator = TargetIndicator(
        code=_str(obj["code"], f"{where}.code"),
        actual=_number(obj["actual"], f"{where}.actual"),
        target=_number(obj["target"], f"{where}.target"),
        weight=_number(obj["weight"], f"{where}.weight"),
        direction=_str(obj.get("direction", "higher"), f"{where}.direction"),
        floor=_number(obj.get("floor", 0.0), f"{where}.floor"),
        worst=None if worst is None else _number(worst, f"{where}.worst"),
        title=str(obj.get("title", "")),
    )
    return _scorable(indicator, where)


def _survey(value, where: str) -> SurveyComponent:
    obj = _object(value, where, {"code", "title", "value", "weight", "scale"}, {"code", "value", "weight"})
    survey = SurveyComponent(
        code=_str(obj["code"], f"{where}.code"),
        value=_number(obj["value"], f"{where}.value"),
        weight=_number(obj["weight"], f"{where}.weight"),
        scale=_str(obj.get("scale", "percent"), f"{where}.scale"),
        title=str(obj.get("title", "")),
    )
    return _scorable(survey, where)


def _scorable(component, where: str):
    """The component, once its own values are known to score (range, direction, scale)."""
    try:
        component.score()
    except ScoringInputError as exc:
        raise ScoringInputError(f"{where}: {exc}") from None
    return component


# --------------------------------------------------------------------------- output


def result_json(result, composite: RoundComposite | None = None) -> str:
    """The result (and the composite, if any) as indented JSON text (``nan`` already turned into ``null``)."""
    document = result.to_dict()
    if composite is not None:
        document["composite"] = composite.to_dict()
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


def output_tables(result, composite: RoundComposite | None = None) -> dict[str, tuple[tuple[str, ...], list[dict]]]:
    """Every table to export, name -> (columns, rows): the round's, then the composite's."""
    tables = {name: (TABLE_COLUMNS[name], rows) for name, rows in result.tables().items()}
    if composite is not None:
        tables.update((name, (COMPOSITE_COLUMNS[name], rows)) for name, rows in composite.tables().items())
    return tables


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


def write_outputs(result, out_dir: str | Path, composite: RoundComposite | None = None) -> list[Path]:
    """Write ``result.json`` and one ``<table>.csv`` per table (:func:`output_tables`) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "result.json"]
    written[0].write_text(result_json(result, composite) + "\n", encoding="utf-8")
    for name, (columns, rows) in output_tables(result, composite).items():
        path = out / f"{name}.csv"
        path.write_text(table_csv(rows, columns), encoding="utf-8")
        written.append(path)
    return written
