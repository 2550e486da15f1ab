"""Criteria frameworks: versions, their checks, the engine converter, spreadsheets.

A framework's structure is a JSON spec stored whole on each ``FrameworkVersion``::

    {"title": {"zh": ..., "en": ...}, "total": 100,
     "areas": [{"code": "A01", "title": {"zh", "en"}, "weight": 10,
                "criteria": [{"code": "A01.1", "title": {"zh", "en"}, "max_points": 3, "step": 0.5,
                              "guidance": {"full": {"zh", "en"}, "partial": {...}, "none": {...}}}]}]}

**How the numbers must add up** (``check_framework``): the total is 100; the area weights add
up to 100; and each area's criteria maxima add up to the area's weight. Points on the
scoresheet are then points of the total, one to one: a representative who gives 2.5 of 3 for
a collective contract has given 2.5 of the unit's 100 points. The engine could rescale an area
whose maxima do not match its weight (``scoring.aggregate.totals``), but a sheet on which 3
points count as 1.5 is a trap in an open-door session, so it is refused, naming the area.
Every maximum is a positive multiple of its step; codes are unique; every title has Chinese or
English text (shown in the other language when one is missing).

**Versions.** Editing writes into the newest version while it is a draft, or makes a new
version when the newest is frozen; a version is frozen when the first round using it opens
(``freeze_version``), and never changes after that. A draft may be incomplete — an area with
no criteria yet, sums that do not add up yet, as happens between two edits — but never
malformed; the problems are listed on the editor page, and freezing refuses them. Creating a
framework and importing a spreadsheet store only a framework with no problems at all.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from forms.framework_sheet import (
    CODE_RE,
    FRAMEWORK_CODE_RE,
    GUIDANCE_LEVELS,
    LANGUAGES,
    FrameworkSheetError,
    canonical_number,
    read_framework_sheet,
    write_framework_sheet,
)
from scoring.types import Area, Criterion, ScoringInputError
from scoring.types import Framework as EngineFramework
from survey.default_framework import DEFAULT_CODE, DEFAULT_NAME, default_spec
from survey.extensions import db
from survey.models import Framework, FrameworkVersion
from survey.models.base import utcnow
from survey.services.errors import Conflict, DomainError

#: Frameworks are normalised to a 100-point total.
TOTAL = 100
#: Problems a draft may have while it is being edited; anything else is refused outright.
DRAFT_ALLOWED = frozenset({"no_areas", "no_criteria", "area_sum", "weights_total"})


# --------------------------------------------------------------------------- errors

class FrameworkInvalid(DomainError):
    """A framework refused because of its problems; ``reasons`` has one line per problem."""

    status_code = 422

    def __init__(self, problems: list[Problem], reasons: list[str] | None = None):
        super().__init__(ngettext("The framework has %(num)d problem; nothing was stored.",
                                  "The framework has %(num)d problems; nothing was stored.", len(problems)))
        self.problems = problems
        self.reasons = reasons if reasons is not None else [str(p) for p in problems]


class SheetRejected(DomainError):
    """A spreadsheet that could not be read as a framework; ``reasons`` lists every bad row."""

    status_code = 422

    def __init__(self, reasons: list[str]):
        super().__init__(_("The spreadsheet was not imported; nothing was stored."))
        self.reasons = reasons


class NotFound(DomainError):
    status_code = 404


# --------------------------------------------------------------------------- checks

@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec; ``message`` is lazily translated and names the area."""

    code: str
    message: object
    area: str | None = None
    criterion: str | None = None

    def __str__(self) -> str:
        return str(self.message)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: object) -> str:
    """A value as a message shows it: 10, 2.5, 'ten', missing."""
    if _is_number(value):
        number = canonical_number(value)
        return str(number) if isinstance(number, int) else f"{number:g}"
    if value is None:
        return str(_l("missing"))
    return f"'{value}'"


def _text_ok(value: object) -> bool:
    """A localized text: a dict whose zh/en values, where present, are strings."""
    return isinstance(value, dict) and all(isinstance(value.get(lang, ""), str) for lang in LANGUAGES)


def _has_text(value: object) -> bool:
    return _text_ok(value) and any(value.get(lang, "").strip() for lang in LANGUAGES)


def display_text(value: object) -> str:
    """Chinese, else English: the one-language title the engine and messages use."""
    if not _text_ok(value):
        return ""
    return value.get("zh", "").strip() or value.get("en", "").strip()


def _multiple(value: float, step: float) -> bool:
    ratio = value / step
    return math.isclose(ratio, round(ratio), rel_tol=0, abs_tol=1e-9)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, message, area: str | None = None, criterion: str | None = None) -> None:
        self.problems.append(Problem(code, message, area, criterion))

    def code(self, value: object, where, area: str | None, criterion: str | None = None) -> bool:
        if value is None or value == "":
            self.add("code_missing", _l("%(where)s has no code.", where=where), area, criterion)
            return False
        if not isinstance(value, str) or not CODE_RE.fullmatch(value):
            self.add("code_invalid", _l("%(where)s: the code %(code)s is not valid; use letters, digits, '.', '-' "
                                        "and '_', at most 20 characters.", where=where, code=_fmt(value)),
                     area, criterion)
            return False
        return True

    def title(self, value: object, where, area: str | None, criterion: str | None = None) -> None:
        if value is not None and not _text_ok(value):
            self.add("malformed", _l("%(where)s: the title is not a Chinese/English text.", where=where),
                     area, criterion)
        elif not _has_text(value):
            self.add("title_missing", _l("%(where)s has no title.", where=where), area, criterion)

    def positive(self, value: object, where, area: str | None, criterion: str | None, name: str) -> bool:
        """A required positive number: the maximum, the step or the weight."""
        missing = {
            "max": _l("%(where)s has no maximum.", where=where),
            "step": _l("%(where)s has no step.", where=where),
            "weight": _l("%(where)s has no weight.", where=where),
        }
        invalid = {
            "max": _l("%(where)s: the maximum must be a positive number, not %(value)s.", where=where,
                      value=_fmt(value)),
            "step": _l("%(where)s: the step must be a positive number, not %(value)s.", where=where,
                       value=_fmt(value)),
            "weight": _l("%(where)s: the weight must be a positive number, not %(value)s.", where=where,
                         value=_fmt(value)),
        }
        if value is None or value == "":
            self.add(f"{name}_missing", missing[name], area, criterion)
            return False
        if not _is_number(value) or value <= 0:
            self.add(f"{name}_invalid", invalid[name], area, criterion)
            return False
        return True


def _area_label(area: dict, index: int):
    code = area.get("code")
    if not isinstance(code, str) or not code:
        return _l("Area #%(n)d", n=index + 1)
    title = display_text(area.get("title"))
    return _l("Area %(code)s (%(title)s)", code=code, title=title) if title else _l("Area %(code)s", code=code)


def check_framework(spec: object) -> list[Problem]:
    """Every problem of a spec, each naming its area and criterion; empty when it can be used."""
    out = _Checker()
    if not isinstance(spec, dict):
        out.add("malformed", _l("The framework is not a JSON object."))
        return out.problems
    out.title(spec.get("title"), _l("The framework"), None)
    total = spec.get("total")
    if not (_is_number(total) and total == TOTAL):
        out.add("total", _l("The total must be %(total)d points, not %(value)s.", total=TOTAL, value=_fmt(total)))
    areas = spec.get("areas")
    if areas is None or areas == []:
        out.add("no_areas", _l("The framework has no areas."))
        return out.problems
    if not isinstance(areas, list):
        out.add("malformed", _l("The framework's areas are not a list."))
        return out.problems
    area_codes: dict[str, int] = {}
    criterion_areas: dict[str, list[str]] = {}
    weights: list[tuple[str, float]] = []
    for index, area in enumerate(areas):
        if not isinstance(area, dict):
            out.add("malformed", _l("Area #%(n)d is not a JSON object.", n=index + 1))
            continue
        where = _area_label(area, index)
        code = area.get("code") if isinstance(area.get("code"), str) else None
        if out.code(area.get("code"), where, None):
            if code in area_codes:
                out.add("area_duplicate", _l("Area code %(code)s is used more than once.", code=code), code)
            area_codes.setdefault(code, index)
        out.title(area.get("title"), where, code)
        weight_ok = out.positive(area.get("weight"), where, code, None, "weight")
        if weight_ok:
            weights.append((code or f"#{index + 1}", float(area["weight"])))
        criteria = area.get("criteria")
        if criteria is None or criteria == []:
            out.add("no_criteria", _l("%(where)s has no criteria.", where=where), code)
            continue
        if not isinstance(criteria, list):
            out.add("malformed", _l("%(where)s: its criteria are not a list.", where=where), code)
            continue
        maxima: list[float] = []
        sums_ok = True
        for c_index, criterion in enumerate(criteria):
            if not isinstance(criterion, dict):
                out.add("malformed", _l("%(where)s: criterion #%(n)d is not a JSON object.", where=where,
                                        n=c_index + 1), code)
                sums_ok = False
                continue
            c_code = criterion.get("code") if isinstance(criterion.get("code"), str) and criterion.get("code") \
                else None
            c_where = (_l("%(area)s, criterion %(code)s", area=where, code=c_code) if c_code
                       else _l("%(area)s, criterion #%(n)d", area=where, n=c_index + 1))
            if out.code(criterion.get("code"), c_where, code):
                criterion_areas.setdefault(c_code, []).append(code or f"#{index + 1}")
            c_code = c_code if c_code and CODE_RE.fullmatch(c_code) else None
            out.title(criterion.get("title"), c_where, code, c_code)
            _check_guidance(out, criterion.get("guidance"), c_where, code, c_code)
            max_ok = out.positive(criterion.get("max_points"), c_where, code, c_code, "max")
            step_ok = out.positive(criterion.get("step"), c_where, code, c_code, "step")
            if max_ok and step_ok and not _multiple(criterion["max_points"], criterion["step"]):
                out.add("off_step", _l("%(where)s: the maximum %(max)s is not a multiple of the step %(step)s.",
                                       where=c_where, max=_fmt(criterion["max_points"]),
                                       step=_fmt(criterion["step"])), code, c_code)
            if max_ok:
                maxima.append(float(criterion["max_points"]))
            else:
                sums_ok = False
        if weight_ok:
            added = math.fsum(maxima)
            if sums_ok and not math.isclose(added, area["weight"], rel_tol=0, abs_tol=1e-9):
                out.add("area_sum", _l("%(where)s: its criteria's maxima add up to %(sum)s, not to its weight "
                                       "%(weight)s.", where=where, sum=_fmt(added), weight=_fmt(area["weight"])),
                        code)
    for c_code, in_areas in criterion_areas.items():
        if len(in_areas) > 1:
            out.add("criterion_duplicate", _l("Criterion code %(code)s is used more than once (areas: %(areas)s).",
                                              code=c_code, areas=", ".join(dict.fromkeys(in_areas))),
                    in_areas[0], c_code)
    if len(weights) == len(areas):
        added = math.fsum(w for _, w in weights)
        if not math.isclose(added, TOTAL, rel_tol=0, abs_tol=1e-9):
            out.add("weights_total", _l("The area weights add up to %(sum)s, not %(total)d: %(weights)s.",
                                        sum=_fmt(added), total=TOTAL,
                                        weights=", ".join(f"{c} {_fmt(w)}" for c, w in weights)))
    if not out.problems:
        try:  # the engine's own check, so the web and the engine never disagree on a framework
            to_engine(spec).validate()
        except ScoringInputError as exc:
            out.add("engine", str(exc))
    return out.problems


def _check_guidance(out: _Checker, guidance: object, where, area: str | None, criterion: str | None) -> None:
    if guidance is None:
        return
    if not isinstance(guidance, dict) or not all(
        guidance.get(level) is None or _text_ok(guidance.get(level)) for level in GUIDANCE_LEVELS
    ):
        out.add("malformed", _l("%(where)s: the guidance is not full/partial/none texts in Chinese and English.",
                                where=where), area, criterion)


def to_engine(spec: dict) -> EngineFramework:
    """The engine's frozen Framework for a spec: the one converter, used everywhere."""
    try:
        areas = tuple(
            Area(
                code=area["code"],
                weight=float(area["weight"]),
                title=display_text(area.get("title")),
                criteria=tuple(
                    Criterion(
                        code=c["code"],
                        area=area["code"],
                        max_points=float(c["max_points"]),
                        step=float(c["step"]),
                        title=display_text(c.get("title")),
                    )
                    for c in area["criteria"]
                ),
            )
            for area in spec["areas"]
        )
        return EngineFramework(areas=areas, total=float(spec.get("total", TOTAL)))
    except (KeyError, TypeError, ValueError) as exc:
        raise ScoringInputError(f"the framework spec cannot be converted: {type(exc).__name__}: {exc}") from None


def _canonical_text(value: object) -> dict[str, str]:
    value = value if isinstance(value, dict) else {}
    return {lang: (value.get(lang) or "").strip() for lang in LANGUAGES}


def canonical_spec(spec: dict) -> dict:
    """The stored form of a well-formed spec: known keys only, texts stripped, whole numbers as int."""
    return {
        "title": _canonical_text(spec.get("title")),
        "total": canonical_number(spec["total"]),
        "areas": [
            {
                "code": area["code"],
                "title": _canonical_text(area.get("title")),
                "weight": canonical_number(area["weight"]),
                "criteria": [
                    {
                        "code": c["code"],
                        "title": _canonical_text(c.get("title")),
                        "max_points": canonical_number(c["max_points"]),
                        "step": canonical_number(c["step"]),
                        "guidance": {level: _canonical_text((c.get("guidance") or {}).get(level))
                                     for level in GUIDANCE_LEVELS},
                    }
                    for c in area.get("criteria") or []
                ],
            }
            for area in spec.get("areas") or []
        ],
    }


# --------------------------------------------------------------------------- reading

def get_framework(*, framework_id: int | None = None, code: str | None = None) -> Framework | None:
    if framework_id is not None:
        return db.session.get(Framework, framework_id)
    return db.session.scalar(select(Framework).where(Framework.code == code))


def latest_version(framework: Framework) -> FrameworkVersion:
    return framework.versions[-1]


def get_version(*, framework: Framework, number: int | None = None) -> FrameworkVersion:
    """Version ``number`` of the framework (the newest when None), or NotFound."""
    if number is None:
        return latest_version(framework)
    for version in framework.versions:
        if version.number == number:
            return version
    raise NotFound(_("Framework %(code)s has no version %(n)d.", code=framework.code, n=number))


@dataclass(frozen=True)
class FrameworkSummary:
    framework: Framework
    latest: FrameworkVersion
    versions: int
    areas: int
    criteria: int
    problems: int


def count_criteria(spec: dict) -> tuple[int, int]:
    """(areas, criteria) of a well-formed spec."""
    areas = spec.get("areas") or []
    return len(areas), sum(len(a.get("criteria") or []) for a in areas)


def list_frameworks() -> list[FrameworkSummary]:
    """Every framework with its newest version, sizes and open problems."""
    out = []
    for framework in db.session.scalars(select(Framework).order_by(Framework.code)):
        latest = latest_version(framework)
        areas, criteria = count_criteria(latest.spec)
        out.append(FrameworkSummary(framework, latest, len(framework.versions), areas, criteria,
                                    len(check_framework(latest.spec))))
    return out


# --------------------------------------------------------------------------- writing

def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("The framework needs a name."))
    if len(name) > 200:
        raise DomainError(_("The name is longer than 200 characters."))
    return name


def create_framework(*, code: str, name: str, spec: dict) -> Framework:
    """A new framework whose version 1 is ``spec``; refused, storing nothing, if it has any problem."""
    if not isinstance(code, str) or not FRAMEWORK_CODE_RE.fullmatch(code):
        raise DomainError(_("The code %(code)s is not valid; use letters, digits, '.', '-' and '_', at most 40 "
                            "characters.", code=_fmt(code)))
    if get_framework(code=code) is not None:
        raise Conflict(_("There is already a framework with the code %(code)s.", code=code))
    name = _check_name(name)
    problems = check_framework(spec)
    if problems:
        raise FrameworkInvalid(problems)
    framework = Framework(code=code, name=name)
    framework.versions.append(FrameworkVersion(number=1, spec=canonical_spec(spec)))
    db.session.add(framework)
    db.session.flush()
    return framework


def copy_framework(*, code: str, name: str, source: Framework | None = None) -> Framework:
    """A new framework starting from another's newest version, or from the seeds' default."""
    spec = copy.deepcopy(latest_version(source).spec) if source is not None else default_spec()
    return create_framework(code=code, name=name, spec=spec)


def edit_framework(*, framework: Framework, spec: dict) -> FrameworkVersion:
    """Store an edit: into the open draft, or as a new version when the newest is frozen.

    A draft may be incomplete (see the module docstring) but a malformed spec is refused.
    An edit that changes nothing stores nothing and returns the newest version.
    """
    blocking = [p for p in check_framework(spec) if p.code not in DRAFT_ALLOWED]
    if blocking:
        raise FrameworkInvalid(blocking)
    stored = canonical_spec(spec)
    version = latest_version(framework)
    if stored == version.spec:
        return version
    if version.frozen:
        version = FrameworkVersion(number=version.number + 1, spec=stored)
        framework.versions.append(version)
    else:
        version.spec = stored
    db.session.flush()
    return version


def freeze_version(*, version: FrameworkVersion) -> FrameworkVersion:
    """Freeze a version when a round using it opens: scores then always refer to these criteria.

    Freezing a frozen version changes nothing (a second round may use it); a version with
    any problem is refused.
    """
    if version.frozen:
        return version
    problems = check_framework(version.spec)
    if problems:
        raise FrameworkInvalid(problems)
    version.frozen_at = utcnow()
    db.session.flush()
    return version


# --------------------------------------------------------------------------- editor use cases

def _working_spec(framework: Framework) -> dict:
    return copy.deepcopy(latest_version(framework).spec)


def _find_area(spec: dict, area_code: str) -> dict:
    for area in spec["areas"]:
        if area["code"] == area_code:
            return area
    raise NotFound(_("There is no area %(code)s in this framework.", code=area_code))


def _find_criterion(spec: dict, criterion_code: str) -> tuple[dict, dict]:
    for area in spec["areas"]:
        for criterion in area["criteria"]:
            if criterion["code"] == criterion_code:
                return area, criterion
    raise NotFound(_("There is no criterion %(code)s in this framework.", code=criterion_code))


def _area_code_free(spec: dict, code: str, keep: str | None = None) -> None:
    if code != keep and any(a["code"] == code for a in spec["areas"]):
        raise Conflict(_("The area code %(code)s is already used.", code=code))


def _criterion_code_free(spec: dict, code: str, keep: str | None = None) -> None:
    if code != keep and any(c["code"] == code for a in spec["areas"] for c in a["criteria"]):
        raise Conflict(_("The criterion code %(code)s is already used.", code=code))


def _area_fields(values: dict) -> dict:
    return {"code": values["code"], "title": values["title"], "weight": values["weight"]}


def _criterion_fields(values: dict) -> dict:
    return {key: values[key] for key in ("code", "title", "max_points", "step", "guidance")}


def update_framework_details(*, framework: Framework, name: str, title: dict) -> FrameworkVersion:
    """Rename the framework and retitle its newest version (a new version if that is frozen)."""
    framework.name = _check_name(name)
    spec = _working_spec(framework)
    spec["title"] = title
    return edit_framework(framework=framework, spec=spec)


def add_area(*, framework: Framework, area: dict) -> FrameworkVersion:
    """Append an area (code, title, weight); its criteria are added one by one."""
    spec = _working_spec(framework)
    _area_code_free(spec, area["code"])
    spec["areas"].append({**_area_fields(area), "criteria": []})
    return edit_framework(framework=framework, spec=spec)


def update_area(*, framework: Framework, area_code: str, area: dict) -> FrameworkVersion:
    """Change an area's code, title or weight; its criteria stay."""
    spec = _working_spec(framework)
    target = _find_area(spec, area_code)
    _area_code_free(spec, area["code"], keep=area_code)
    target.update(_area_fields(area))
    return edit_framework(framework=framework, spec=spec)


def delete_area(*, framework: Framework, area_code: str) -> FrameworkVersion:
    """Remove an area with its criteria."""
    spec = _working_spec(framework)
    spec["areas"].remove(_find_area(spec, area_code))
    return edit_framework(framework=framework, spec=spec)


def add_criterion(*, framework: Framework, area_code: str, criterion: dict) -> FrameworkVersion:
    """Append a criterion to an area."""
    spec = _working_spec(framework)
    area = _find_area(spec, area_code)
    _criterion_code_free(spec, criterion["code"])
    area["criteria"].append(_criterion_fields(criterion))
    return edit_framework(framework=framework, spec=spec)


def update_criterion(*, framework: Framework, criterion_code: str, criterion: dict) -> FrameworkVersion:
    """Change a criterion's code, title, maximum, step or guidance."""
    spec = _working_spec(framework)
    _, target = _find_criterion(spec, criterion_code)
    _criterion_code_free(spec, criterion["code"], keep=criterion_code)
    target.update(_criterion_fields(criterion))
    return edit_framework(framework=framework, spec=spec)


def delete_criterion(*, framework: Framework, criterion_code: str) -> FrameworkVersion:
    """Remove a criterion."""
    spec = _working_spec(framework)
    area, criterion = _find_criterion(spec, criterion_code)
    area["criteria"].remove(criterion)
    return edit_framework(framework=framework, spec=spec)


# --------------------------------------------------------------------------- spreadsheets

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_framework(*, framework: Framework, number: int | None = None) -> tuple[bytes, str]:
    """A version as an .xlsx workbook and its file name (the newest version when ``number`` is None)."""
    version = get_version(framework=framework, number=number)
    return write_framework_sheet(version.spec), f"framework-{framework.code}-v{version.number}.xlsx"


@dataclass(frozen=True)
class ImportOutcome:
    framework: Framework
    version: FrameworkVersion
    #: created, new_version (the newest was frozen), draft_replaced, or unchanged.
    action: str


def _located(problem: Problem, area_rows: dict[str, tuple[int, ...]], criterion_rows: dict[str, int]) -> str:
    """A problem prefixed with the spreadsheet row(s) it comes from."""
    if problem.criterion in criterion_rows:
        return _("row %(row)d: %(problem)s", row=criterion_rows[problem.criterion], problem=problem)
    rows = area_rows.get(problem.area or "")
    if rows:
        if len(rows) == 1:
            return _("row %(row)d: %(problem)s", row=rows[0], problem=problem)
        return _("rows %(first)d-%(last)d: %(problem)s", first=rows[0], last=rows[-1], problem=problem)
    return str(problem)


def import_framework(*, data: bytes, code: str, name: str | None = None) -> ImportOutcome:
    """Read a workbook into a new framework, or a new version of the framework ``code``.

    Refused whole, storing nothing, when the sheet has a bad row or the framework a problem.
    """
    try:
        sheet = read_framework_sheet(data)
    except FrameworkSheetError as exc:
        raise SheetRejected(exc.reasons) from None
    problems = check_framework(sheet.spec)
    if problems:
        raise FrameworkInvalid(problems, [_located(p, sheet.area_rows, sheet.criterion_rows) for p in problems])
    framework = get_framework(code=code)
    if framework is None:
        framework = create_framework(code=code, name=name or display_text(sheet.spec["title"]) or code,
                                     spec=sheet.spec)
        return ImportOutcome(framework, latest_version(framework), "created")
    if name:
        framework.name = _check_name(name)
    before = latest_version(framework)
    unchanged, was_frozen = canonical_spec(sheet.spec) == before.spec, before.frozen
    version = edit_framework(framework=framework, spec=sheet.spec)
    action = "unchanged" if unchanged else "new_version" if was_frozen else "draft_replaced"
    return ImportOutcome(framework, version, action)


# --------------------------------------------------------------------------- demo

def load_default_framework() -> FrameworkVersion:
    """The seeds' framework ``xicheng-2014``, created if missing; its newest version (idempotent)."""
    framework = get_framework(code=DEFAULT_CODE)
    if framework is None:
        framework = create_framework(code=DEFAULT_CODE, name=DEFAULT_NAME, spec=default_spec())
    return latest_version(framework)
