"""The representative's scorecard as a plain HTML form, built from the framework's areas.

Database-free: :func:`build_scorecard_form` takes the framework's areas (the spec
dicts of ``FrameworkVersion.spec["areas"]``) and returns a form class with, per
criterion, a decimal field bounded by 0 and the criterion's maximum in its steps
and a "cannot judge" checkbox, and per area an optional comment. The same page
works without JavaScript (the whole scorecard is posted at once) and with it
(``survey/static/js/score.js`` saves every change as it is typed).

Field names, stable for templates, scripts and tests:

=====================  ===================================
``score__<code>``      the criterion's points (``score__A01.1``)
``cannot__<code>``     "cannot judge" ticked
``comment__<area>``    the area's comment
=====================  ===================================

:meth:`ScorecardForm.changes` turns what was posted into the JSON shape the
scoring services read (``{"entries": [...], "comments": [...]}``), numbering
each change one above the version the server holds, so the HTML form and the
phone's queue go through the same checks.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, TextAreaField
from wtforms.validators import Length, ValidationError

SCORE = "score__"
CANNOT = "cannot__"
COMMENT = "comment__"
#: Longest area comment (the scoring service's limit too).
COMMENT_LIMIT = 2000
#: Longest reason for declaring a conflict (the conflicts service's limit too).
REASON_LIMIT = 1000
#: Quick-pick buttons are offered when a criterion has at most this many values.
MAX_QUICK_VALUES = 11


def score_field(code: str) -> str:
    return SCORE + code


def cannot_field(code: str) -> str:
    return CANNOT + code


def comment_field(area: str) -> str:
    return COMMENT + area


def localized(text: object, locale: str) -> str:
    """A {"zh", "en"} text in the page's language, else the other one."""
    if not isinstance(text, dict):
        return ""
    first, second = ("en", "zh") if locale.startswith("en") else ("zh", "en")
    value = text.get(first)
    if isinstance(value, str) and value.strip():
        return value.strip()
    value = text.get(second)
    return value.strip() if isinstance(value, str) else ""


def number_text(value: float | Decimal | None) -> str:
    """A number as a person writes it: 3, 2.5, 0.25 (no trailing zeros)."""
    if value is None:
        return ""
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "") else text


def quick_values(max_points: float, step: float) -> list[str]:
    """Every allowed value from 0 to the maximum, when there are few enough to be buttons."""
    top, size = Decimal(str(max_points)), Decimal(str(step))
    if size <= 0:
        return []
    count = int(top / size) + 1
    if count > MAX_QUICK_VALUES:
        return []
    return [number_text(size * n) for n in range(count)]


@dataclass(frozen=True)
class CriterionLayout:
    code: str
    title: str
    max_points: float
    step: float
    guidance: tuple[tuple[str, str], ...]  #: (level, text) for full, partial, none, where given
    score: str  #: field names
    cannot: str
    quick: tuple[str, ...]

    @property
    def max_text(self) -> str:
        return number_text(self.max_points)

    @property
    def step_text(self) -> str:
        return number_text(self.step)


@dataclass(frozen=True)
class AreaLayout:
    code: str
    title: str
    weight: float
    max_total: float  #: the criteria's maxima added up
    criteria: tuple[CriterionLayout, ...]
    comment: str  #: field name

    @property
    def max_text(self) -> str:
        return number_text(self.max_total)


def parse_points(raw: str) -> Decimal | None:
    """What a phone keyboard sends: full-width digits, a decimal comma, spaces; None when empty.

    Raises ValueError when the text is not a plain decimal number."""
    text = unicodedata.normalize("NFKC", raw or "").strip().replace(" ", "").replace(",", ".")
    if not text:
        return None
    if len(text) > 20 or not all(ch.isdigit() or ch in ".+-" for ch in text):
        raise ValueError(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


class PointsField(DecimalField):
    """A criterion's points: empty, or a number from 0 to the maximum in whole steps."""

    def __init__(self, label=None, *, max_points: float, step: float, code: str, **kwargs):
        super().__init__(label, places=None, **kwargs)
        self.max_points = Decimal(str(max_points))
        self.step = Decimal(str(step))
        self.code = code

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_points(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(str(_l("%(criterion)s: enter a number, e.g. 2.5.", criterion=self.code))) from None

    def process_data(self, value):
        self.data = None if value is None else Decimal(str(value))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return number_text(self.data)

    def pre_validate(self, form):
        value = self.data
        if value is None:
            return
        rule = _l("%(criterion)s: give from 0 to %(max)s points in steps of %(step)s.", criterion=self.code,
                  max=number_text(self.max_points), step=number_text(self.step))
        if value < 0 or value > self.max_points or (value / self.step) != (value / self.step).to_integral_value():
            raise ValidationError(str(rule))


def _guidance(criterion: dict, locale: str) -> tuple[tuple[str, str], ...]:
    guidance = criterion.get("guidance") if isinstance(criterion.get("guidance"), dict) else {}
    out = []
    for level in ("full", "partial", "none"):
        text = localized(guidance.get(level), locale)
        if text:
            out.append((level, text))
    return tuple(out)


def scorecard_layout(areas: list[dict], *, locale: str) -> tuple[AreaLayout, ...]:
    """The areas and criteria in framework order, with texts in the page's language."""
    layout = []
    for area in areas:
        criteria = []
        for criterion in area.get("criteria") or []:
            code = criterion["code"]
            max_points, step = float(criterion["max_points"]), float(criterion["step"])
            criteria.append(CriterionLayout(
                code=code, title=localized(criterion.get("title"), locale), max_points=max_points, step=step,
                guidance=_guidance(criterion, locale), score=score_field(code), cannot=cannot_field(code),
                quick=tuple(quick_values(max_points, step)),
            ))
        layout.append(AreaLayout(
            code=area["code"], title=localized(area.get("title"), locale), weight=float(area.get("weight") or 0),
            max_total=float(sum(Decimal(str(c.max_points)) for c in criteria)), criteria=tuple(criteria),
            comment=comment_field(area["code"]),
        ))
    return tuple(layout)


def _clean_comment(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


class ScorecardForm(FlaskForm):
    """One field per criterion, "cannot judge" box and area comment (see the module docstring)."""

    layout: tuple[AreaLayout, ...] = ()

    def criteria(self):
        for area in self.layout:
            yield from area.criteria

    def entry(self, criterion: CriterionLayout) -> tuple[float | None, bool]:
        """(points, cannot judge) as posted; "cannot judge" wins over a number typed beside it."""
        cannot = bool(self[criterion.cannot].data)
        value = self[criterion.score].data
        return (None if cannot or value is None else float(value)), cannot

    def comment(self, area: AreaLayout) -> str:
        return _clean_comment(self[area.comment].data)

    def missing(self) -> list[str]:
        """Codes of the criteria with neither a score nor "cannot judge"."""
        return [c.code for c in self.criteria() if self.entry(c) == (None, False)]

    def require_complete(self) -> bool:
        """Mark every unscored criterion; True when none is missing."""
        missing = set(self.missing())
        for criterion in self.criteria():
            if criterion.code in missing and not self[criterion.score].errors:
                self[criterion.score].errors = list(self[criterion.score].errors) + [
                    str(_l("%(criterion)s: give a score or tick \"cannot judge\".", criterion=criterion.code))]
        return not missing

    def changes(self, state: dict) -> dict:
        """What differs from the server's ``state`` (``scorecard_state``), each one version above it."""
        stored_entries = state.get("entries") or {}
        stored_comments = state.get("comments") or {}
        entries, comments = [], []
        for criterion in self.criteria():
            points, cannot = self.entry(criterion)
            stored = stored_entries.get(criterion.code)
            if stored is None:
                if points is None and not cannot:
                    continue
                version = 1
            else:
                if stored.get("points") == points and bool(stored.get("cannot_judge")) == cannot:
                    continue
                version = int(stored.get("version") or 0) + 1
            entries.append({"criterion": criterion.code, "points": points, "cannot_judge": cannot,
                            "version": version})
        for area in self.layout:
            text = self.comment(area)
            stored = stored_comments.get(area.code)
            if (stored.get("text") if stored else "") == text:
                continue
            comments.append({"area": area.code, "text": text,
                             "version": int(stored.get("version") or 0) + 1 if stored else 1})
        return {"entries": entries, "comments": comments}


def build_scorecard_form(areas: list[dict], *, locale: str) -> type[ScorecardForm]:
    """A form class for the framework's areas (spec dicts), texts in ``locale``."""
    layout = scorecard_layout(areas, locale=locale)
    fields: dict = {"layout": layout}
    for area in layout:
        for criterion in area.criteria:
            fields[criterion.score] = PointsField(
                criterion.title or criterion.code, max_points=criterion.max_points, step=criterion.step,
                code=criterion.code)
            fields[criterion.cannot] = BooleanField(_l("Cannot judge"))
        fields[area.comment] = TextAreaField(
            _l("Comment on this area (optional)"),
            validators=[Length(max=COMMENT_LIMIT, message=_l("At most %(max)d characters."))])
    return type("ScorecardForm", (ScorecardForm,), fields)


def initial_data(layout: tuple[AreaLayout, ...], state: dict) -> dict:
    """Form data for what the server holds (``scorecard_state``)."""
    entries = state.get("entries") or {}
    comments = state.get("comments") or {}
    data: dict = {}
    for area in layout:
        for criterion in area.criteria:
            stored = entries.get(criterion.code) or {}
            data[criterion.score] = stored.get("points")
            data[criterion.cannot] = bool(stored.get("cannot_judge"))
        data[area.comment] = (comments.get(area.code) or {}).get("text", "")
    return data


class ConflictForm(FlaskForm):
    """Declaring a conflict of interest with the unit: a reason and an explicit confirmation."""

    reason = TextAreaField(
        _l("Why can you not score this unit?"),
        validators=[Length(max=REASON_LIMIT, message=_l("At most %(max)d characters."))],
    )
    confirm = BooleanField(_l("I will not score this unit. This cannot be undone from the phone."))

    def validate_reason(self, field):
        field.data = _clean_comment(field.data)
        if not field.data:
            raise ValidationError(str(_l("Give the reason, e.g. \"I used to work there\".")))

    def validate_confirm(self, field):
        if not field.data:
            raise ValidationError(str(_l("Tick the box to confirm.")))
