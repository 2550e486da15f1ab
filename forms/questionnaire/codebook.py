"""The codebook: the variables that analysis and exports see, stable across versions.

A questionnaire's published versions (in version order) give one codebook.
Each answer becomes one or more *variables*:

====================  =========================================  ===============
question type         variables                                  values
====================  =========================================  ===============
single choice         ``q``; ``q_<other>_text`` for "other"      code 1..k
multiple choice       ``q_<option>`` per option; other text      0 / 1
ranking               ``q_<option>`` per option                  rank 1..N
rating                ``q``                                      the scale value
matrix                ``q_<row>`` per row                        the scale value
number                ``q``                                      the number
date                  ``q``                                      the date
short and long text   ``q`` (text)                               the text
====================  =========================================  ===============

Stability. Question, option and row ids are kept across versions, and so are
names and codes: a variable, once a published version created it, keeps its
name, its single-choice codes and its place (``slot``) in the numeric row
forever. A later version that adds an option gets a new code (k + 1) or a new
column; an option a later version drops keeps its code, and the responses of
that version simply never have it. When a question keeps its id but changes
what its answers mean — another type, or another rating scale — its answers
are not comparable any more and it gets new variables named ``q_v<n>`` (n:
the version that changed it).

Numeric variables have a ``slot``: their position in the packed numeric row
of a response (:mod:`forms.questionnaire.row_format`). Slots are handed out in
the order variables first appear (version by version, question by question),
so a later version only appends slots and a row written under an earlier
codebook is a prefix of the current one. ``Codebook.variables`` lists the
variables in reading order instead (the newest version's question and option
order, with dropped questions and options kept next to their old
neighbours). Text variables have no slot: their texts are stored next to the
row.

Names are valid SPSS names (letters, digits and ``_``, at most 64 characters,
unique ignoring case, no reserved word), so every export format can use them.

This module is pure: it reads :class:`~forms.questionnaire.spec.Questionnaire`
objects and canonical answers (``forms.questionnaire.answers``) and never sees
a database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from forms.questionnaire.spec import Demographic, LocalizedText, Question, Questionnaire, QuestionType

#: Longest variable name SPSS accepts (in bytes; names here are ASCII).
MAX_NAME_LENGTH = 64
#: SPSS reserved words: no variable may be called so.
RESERVED_NAMES = frozenset({"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"})
#: Dates are held in the numeric row as days since this day.
EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = EPOCH.toordinal()


class VariableKind(str, Enum):
    """What a variable holds."""

    CODE = "code"  #: single choice: the chosen option's code, 1..k
    SELECTED = "selected"  #: one option of a multiple choice: 1 if ticked, 0 if not
    RANK = "rank"  #: one option of a ranking: its rank, 1 = first; missing if unranked
    SCALE = "scale"  #: a rating, or one row of a matrix: the scale value
    NUMBER = "number"
    DATE = "date"  #: days since 1970-01-01 in the numeric row, a date in exports
    TEXT = "text"  #: a short or long text answer
    OTHER_TEXT = "other_text"  #: the "please specify" text of an "other" option


#: Kinds stored as text next to the numeric row.
TEXT_KINDS = frozenset({VariableKind.TEXT, VariableKind.OTHER_TEXT})

#: How each numeric kind is stored in the packed row (numpy dtype strings, little-endian).
STORAGE = {
    VariableKind.CODE: "<u2",
    VariableKind.SELECTED: "u1",
    VariableKind.RANK: "<u2",
    VariableKind.SCALE: "<i2",
    VariableKind.NUMBER: "<f8",
    VariableKind.DATE: "<i4",
}

_NOT_SELECTED = LocalizedText("未选", "Not selected")
_SELECTED = LocalizedText("已选", "Selected")


class CodingError(ValueError):
    """An answer that does not fit its question in the version it claims to answer."""


@dataclass(frozen=True)
class Variable:
    """One column of an export, and (when numeric) of the analysis matrix.

    ``label`` is the question's title, followed by the option's or row's label
    for per-option and per-row variables, in the newest version that has it.
    ``value_labels`` maps codes to labels (single choice: every option ever
    offered; multiple choice: 0 and 1; rating and matrix: the scale's end
    labels). ``versions`` lists the version numbers the variable appears in.
    ``slot`` is the variable's place in the packed numeric row, ``None`` for
    text; ``storage`` its numpy dtype there.
    """

    name: str
    kind: VariableKind
    question_id: str
    question_type: QuestionType
    label: LocalizedText
    versions: tuple[int, ...]
    value_labels: tuple[tuple[int, LocalizedText], ...] = ()
    #: Option (multiple choice, ranking, other text) or matrix row the variable stands for.
    option_id: str | None = None
    slot: int | None = None
    storage: str | None = None
    demographic: Demographic | None = None
    #: Whole-number questions (number type with ``integer``) and every coded kind.
    integer: bool = True
    #: Single choice: (option id, code) for every option any version offered.
    option_codes: tuple[tuple[str, int], ...] = ()

    @property
    def numeric(self) -> bool:
        return self.slot is not None

    def value_label(self, code: int | float, locale: str = "zh") -> str | None:
        for value, label in self.value_labels:
            if value == code:
                return label.get(locale)
        return None


@dataclass(frozen=True)
class Codebook:
    """Variables in reading order; ``width`` numeric slots; the versions it covers."""

    variables: tuple[Variable, ...]
    width: int
    versions: tuple[int, ...]
    #: Per version number: question id -> how that version's answers are coded.
    _codings: Mapping[int, Mapping[str, _QuestionCoding]] = field(repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {v.name: v for v in self.variables})
        by_slot: list[Variable | None] = [None] * self.width
        for v in self.variables:
            if v.slot is not None:
                by_slot[v.slot] = v
        object.__setattr__(self, "_by_slot", tuple(by_slot))
        object.__setattr__(self, "_encoders", {})

    def variable(self, name: str) -> Variable:
        """The variable called ``name``; KeyError if there is none."""
        return self._by_name[name]  # type: ignore[attr-defined]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name  # type: ignore[attr-defined]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    @property
    def numeric(self) -> tuple[Variable, ...]:
        return tuple(v for v in self.variables if v.numeric)

    @property
    def texts(self) -> tuple[Variable, ...]:
        return tuple(v for v in self.variables if not v.numeric)

    @property
    def by_slot(self) -> tuple[Variable, ...]:
        """Numeric variables in slot order (the columns of the analysis matrix)."""
        return self._by_slot  # type: ignore[attr-defined]

    def storage(self, width: int | None = None) -> tuple[str, ...]:
        """Dtypes of the first ``width`` slots (all by default)."""
        return tuple(v.storage for v in self.by_slot[: self.width if width is None else width])

    def question_variables(self, question_id: str) -> tuple[Variable, ...]:
        """Every variable of a question id, in reading order (all its incarnations)."""
        return tuple(v for v in self.variables if v.question_id == question_id)

    def variable_for(self, version: int, question_id: str, option_id: str | None = None) -> Variable | None:
        """The variable holding ``question_id`` (and option or row) as ``version`` asked it."""
        coding = self._codings.get(version, {}).get(question_id)
        if coding is None:
            return None
        if option_id is None:
            name = coding.main
        else:
            name = coding.items.get(option_id)
        return None if name is None else self.variable(name)

    def code_of(self, version: int, question_id: str, option_id: str) -> int | None:
        """The code of a single-choice option as ``version`` asked it."""
        coding = self._codings.get(version, {}).get(question_id)
        return None if coding is None else coding.codes.get(option_id)

    def encoder(self, version: int) -> RowEncoder:
        """Turns canonical answers to version ``version`` into a numeric row and texts."""
        encoder = self._encoders.get(version)
        if encoder is None:  # built once per version: the codebook never changes
            if version not in self._codings:
                raise CodingError(f"the codebook does not cover version {version}")
            encoder = self._encoders[version] = RowEncoder(self, version, self._codings[version])
        return encoder


# --------------------------------------------------------------------------- encoding

@dataclass(frozen=True)
class _QuestionCoding:
    """How one version's question maps onto variables (names, slots and codes)."""

    question: Question
    #: The variable of single choice, rating, number, date and text questions.
    main: str | None
    #: Option or row id -> variable name (multiple choice, ranking, matrix).
    items: Mapping[str, str]
    #: Option id -> code (single choice).
    codes: Mapping[str, int]
    #: Other option id -> its text variable.
    other_texts: Mapping[str, str]


class RowEncoder:
    """Encoder of one version's answers: ``encode(answers) -> (values, texts)``.

    ``values`` has ``codebook.width`` floats in slot order, ``nan`` where there
    is no value; ``texts`` maps text variables to their (non-empty) texts. An
    answer that does not fit the version raises :class:`CodingError`.
    """

    def __init__(self, codebook: Codebook, version: int, codings: Mapping[str, _QuestionCoding]):
        self.codebook = codebook
        self.version = version
        self.width = codebook.width
        slot = {v.name: v.slot for v in codebook.variables}
        self._template = [math.nan] * codebook.width
        self._plans = {qid: self._plan(c, slot) for qid, c in codings.items()}

    def _plan(self, c: _QuestionCoding, slot: Mapping[str, int | None]):
        """A function ``(value, row, texts)`` that codes one answer of the question into the row."""
        q = c.question
        others = dict(c.other_texts)
        if q.type is QuestionType.SINGLE_CHOICE:
            return _single(q, dict(c.codes), slot[c.main], others)
        if q.type in (QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING, QuestionType.MATRIX):
            slots = {item: slot[name] for item, name in c.items.items()}
            maker = {QuestionType.MULTIPLE_CHOICE: _multiple, QuestionType.RANKING: _ranking,
                     QuestionType.MATRIX: _matrix}[q.type]
            return maker(q, slots, others)
        if q.type is QuestionType.RATING:
            return _rating(q, slot[c.main])
        if q.type is QuestionType.NUMBER:
            return _number(q, slot[c.main])
        if q.type is QuestionType.DATE:
            return _date(q, slot[c.main])
        return _text(q, c.main)

    def encode(self, answers: Mapping[str, object]) -> tuple[list[float], dict[str, str]]:
        row = self._template.copy()
        texts: dict[str, str] = {}
        plans = self._plans
        for qid, value in answers.items():
            plan = plans.get(qid)
            if plan is None:
                raise CodingError(f"{qid}: version {self.version} has no such question")
            if value is None:
                continue
            plan(value, row, texts)
        return row, texts


def _bad(q: Question, value: object, what: str) -> CodingError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return CodingError(f"{q.id}: {shown} is not {what}")


def _choice(q: Question, item: object, others: Mapping[str, str], texts: dict[str, str]) -> str:
    """The option id of one chosen item; stores an other text."""
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping) and isinstance(item.get("option"), str):
        option = item["option"]
        text = item.get("other")
        if text is not None:
            if not isinstance(text, str) or option not in others:
                raise _bad(q, item, "an answer to an \"other, please specify\" option")
            if text:
                texts[others[option]] = text
        return option
    raise _bad(q, item, "an option of this question")


# One factory per question type: each returns the closure that codes an answer into a row.
# Plain option ids (the common case) take a fast path; anything else goes through the checks.

def _single(q, codes, slot, others):
    def encode(value, row, texts):
        code = codes.get(value) if type(value) is str else codes.get(_choice(q, value, others, texts))
        if code is None:
            raise _bad(q, value, "an option of this question")
        row[slot] = code

    return encode


def _multiple(q, slots, others):
    offered = tuple(slots.values())

    def encode(value, row, texts):
        if type(value) is not list:
            raise _bad(q, value, "a list of options")
        for s in offered:
            row[s] = 0.0
        for item in value:
            s = slots.get(item if type(item) is str else _choice(q, item, others, texts))
            if s is None:
                raise _bad(q, item, "an option of this question")
            row[s] = 1.0

    return encode


def _ranking(q, slots, _others):
    def encode(value, row, texts):
        if type(value) is not list:
            raise _bad(q, value, "a list of ranked options")
        for position, option in enumerate(value, start=1):
            s = slots.get(option) if type(option) is str else None
            if s is None or option in value[:position - 1]:
                raise _bad(q, option, "an option of this question ranked once")
            row[s] = position

    return encode


def _matrix(q, slots, _others):
    low, high = q.scale_min, q.scale_max

    def encode(value, row, texts):
        if not isinstance(value, Mapping):
            raise _bad(q, value, "an object of row answers")
        for row_id, item in value.items():
            s = slots.get(row_id)
            if s is None:
                raise _bad(q, row_id, "a row of this question")
            if type(item) is not int or not low <= item <= high:
                raise _bad(q, item, f"a whole number from {low} to {high}")
            row[s] = item

    return encode


def _rating(q, slot):
    low, high = q.scale_min, q.scale_max

    def encode(value, row, texts):
        if type(value) is not int or not low <= value <= high:
            raise _bad(q, value, f"a whole number from {low} to {high}")
        row[slot] = value

    return encode


def _number(q, slot):
    def encode(value, row, texts):
        if type(value) not in (int, float) or not math.isfinite(value):
            raise _bad(q, value, "a number")
        row[slot] = float(value)

    return encode


def _date(q, slot):
    def encode(value, row, texts):
        try:
            day = date.fromisoformat(value) if type(value) is str and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise _bad(q, value, "a date written YYYY-MM-DD")
        row[slot] = day.toordinal() - _EPOCH_ORDINAL

    return encode


def _text(q, name):
    def encode(value, row, texts):
        if type(value) is not str:
            raise _bad(q, value, "a text")
        if value:
            texts[name] = value

    return encode


def day_number(day: date) -> int:
    """A date as the codebook stores it: days since 1970-01-01."""
    return day.toordinal() - _EPOCH_ORDINAL


def from_day_number(days: int) -> date:
    return date.fromordinal(int(days) + _EPOCH_ORDINAL)


# --------------------------------------------------------------------------- building

def _family_key(q: Question) -> tuple:
    """Questions with the same id and key are one variable family across versions."""
    if q.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        return ("text",)
    if q.type in (QuestionType.RATING, QuestionType.MATRIX):
        return (q.type.value, q.scale_min, q.scale_max)
    return (q.type.value,)


def _join(title: LocalizedText, part: LocalizedText, suffix: LocalizedText = LocalizedText()) -> LocalizedText:
    def one(t: str, p: str, s: str, sep: str) -> str:
        text = f"{t}{sep}{p}" if t and p else (t or p)
        return f"{text}{s}" if text else text

    return LocalizedText(
        one(title.zh or title.en, part.zh or part.en, suffix.zh, "："),
        one(title.en or title.zh, part.en or part.zh, suffix.en, ": "),
    )


class _Names:
    """Valid, unique (ignoring case) SPSS names, handed out in a fixed order."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", wanted)
        if not base or not base[0].isalpha():
            base = "v_" + base
        base = base[:MAX_NAME_LENGTH]
        if base.upper() in RESERVED_NAMES:
            base += "_"
        name, n = base, 1
        while name.casefold() in self.taken:
            n += 1
            suffix = f"_{n}"
            name = base[: MAX_NAME_LENGTH - len(suffix)] + suffix
        self.taken.add(name.casefold())
        return name


@dataclass
class _Item:
    """A variable while the codebook is being built."""

    name: str
    kind: VariableKind
    question_id: str
    question_type: QuestionType
    option_id: str | None = None
    slot: int | None = None
    storage: str | None = None
    versions: list[int] = field(default_factory=list)
    label: LocalizedText = LocalizedText()
    integer: bool = True
    demographic: Demographic | None = None


@dataclass
class _Family:
    """One question id with one answer meaning, across the versions that ask it so."""

    question_id: str
    name: str
    type: QuestionType
    main: _Item | None = None
    items: dict[str, _Item] = field(default_factory=dict)  # option or row id -> item
    other_texts: dict[str, _Item] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    code_labels: dict[str, LocalizedText] = field(default_factory=dict)
    item_orders: list[list[str]] = field(default_factory=list)
    latest: Question | None = None


def merge_orders(sequences: Iterable[Sequence[str]]) -> list[str]:
    """One order from several (oldest first): the newest order, with items it
    lacks placed right after the item they followed in the order before."""
    merged: list[str] = []
    for sequence in sequences:
        result = list(dict.fromkeys(sequence))
        present = set(result)
        last: str | None = None
        for item in merged:
            if item in present:
                last = item
                continue
            index = 0 if last is None else result.index(last) + 1
            result.insert(index, item)
            present.add(item)
            last = item
        merged = result
    return merged


class _Builder:
    def __init__(self) -> None:
        self.names = _Names()
        self.slots: list[str] = []
        self.families: dict[tuple[str, tuple], _Family] = {}
        self.family_order: dict[str, list[_Family]] = {}
        self.question_orders: list[list[str]] = []
        self.codings: dict[int, dict[str, _QuestionCoding]] = {}

    def numeric(self, family: _Family, kind: VariableKind, wanted: str, q: Question, option: str | None) -> _Item:
        storage = STORAGE[kind]
        if kind is VariableKind.SCALE and not (-32767 <= q.scale_min and q.scale_max <= 32767):
            storage = "<i4"
        item = _Item(self.names.claim(wanted), kind, q.id, family.type, option, len(self.slots), storage)
        self.slots.append(storage)
        return item

    def text(self, family: _Family, kind: VariableKind, wanted: str, q: Question, option: str | None) -> _Item:
        return _Item(self.names.claim(wanted), kind, q.id, family.type, option)

    def add_version(self, number: int, spec: Questionnaire) -> None:
        codings: dict[str, _QuestionCoding] = {}
        order = []
        for q in spec.questions():
            key = (q.id, _family_key(q))
            family = self.families.get(key)
            if family is None:
                siblings = self.family_order.setdefault(q.id, [])
                family = _Family(q.id, q.id if not siblings else f"{q.id}_v{number}", q.type)
                self.families[key] = family
                siblings.append(family)
            codings[q.id] = self.add_question(family, q, number)
            order.append(q.id)
        self.question_orders.append(order)
        self.codings[number] = codings

    def add_question(self, family: _Family, q: Question, number: int) -> _QuestionCoding:
        family.latest = q
        t = q.type
        main = None
        items: dict[str, str] = {}
        other_texts: dict[str, str] = {}
        codes: dict[str, int] = {}
        if t is QuestionType.SINGLE_CHOICE:
            if family.main is None:
                family.main = self.numeric(family, VariableKind.CODE, family.name, q, None)
            main = family.main
            for option in q.options:
                if option.id not in family.codes:
                    family.codes[option.id] = len(family.codes) + 1
                family.code_labels[option.id] = option.label
                codes[option.id] = family.codes[option.id]
            family.item_orders.append([o.id for o in q.options])
        elif t in (QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING, QuestionType.MATRIX):
            kind = {QuestionType.MULTIPLE_CHOICE: VariableKind.SELECTED, QuestionType.RANKING: VariableKind.RANK,
                    QuestionType.MATRIX: VariableKind.SCALE}[t]
            parts = q.rows if t is QuestionType.MATRIX else q.options
            for part in parts:
                item = family.items.get(part.id)
                if item is None:
                    item = family.items[part.id] = self.numeric(family, kind, f"{family.name}_{part.id}", q, part.id)
                suffix = LocalizedText("（排名）", " (rank)") if kind is VariableKind.RANK else LocalizedText()
                item.label = _join(q.title, part.label, suffix)
                item.versions.append(number)
                items[part.id] = item.name
            family.item_orders.append([p.id for p in parts])
        else:
            if family.main is None:
                kind = {QuestionType.RATING: VariableKind.SCALE, QuestionType.NUMBER: VariableKind.NUMBER,
                        QuestionType.DATE: VariableKind.DATE}.get(t, VariableKind.TEXT)
                maker = self.text if kind is VariableKind.TEXT else self.numeric
                family.main = maker(family, kind, family.name, q, None)
            main = family.main
        if main is not None:
            main.label = q.title
            main.versions.append(number)
            main.demographic = q.demographic
            if t is QuestionType.NUMBER:
                main.integer = main.integer and q.integer
        if t in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            for option in q.options:
                if not option.is_other:
                    continue
                item = family.other_texts.get(option.id)
                if item is None:
                    item = family.other_texts[option.id] = self.text(
                        family, VariableKind.OTHER_TEXT, f"{family.name}_{option.id}_text", q, option.id)
                item.label = _join(q.title, option.label, LocalizedText("（文字）", " (text)"))
                item.versions.append(number)
                other_texts[option.id] = item.name
        return _QuestionCoding(q, main.name if main else None, items, codes, other_texts)

    def variables(self) -> tuple[Variable, ...]:
        out: list[Variable] = []
        for qid in merge_orders(self.question_orders):
            for family in self.family_order[qid]:
                out.extend(self.family_variables(family))
        return tuple(out)

    def family_variables(self, family: _Family) -> list[Variable]:
        q = family.latest
        out = []
        if family.main is not None:
            labels: tuple = ()
            if family.main.kind is VariableKind.CODE:
                labels = tuple((code, family.code_labels[oid]) for oid, code in family.codes.items())
            elif family.main.kind is VariableKind.SCALE:
                labels = _scale_labels(q)
            out.append(_variable(family.main, labels, family.codes.items()))
            for oid in merge_orders(family.item_orders):
                if oid in family.other_texts:
                    out.append(_variable(family.other_texts[oid], ()))
        for item_id in merge_orders(family.item_orders) if family.items else ():
            item = family.items[item_id]
            labels = ()
            if item.kind is VariableKind.SELECTED:
                labels = ((0, _NOT_SELECTED), (1, _SELECTED))
            elif item.kind is VariableKind.SCALE:
                labels = _scale_labels(q)
            out.append(_variable(item, labels))
            if item_id in family.other_texts:
                out.append(_variable(family.other_texts[item_id], ()))
        return out


def _scale_labels(q: Question) -> tuple[tuple[int, LocalizedText], ...]:
    labels = []
    if q.scale_min_label:
        labels.append((q.scale_min, q.scale_min_label))
    if q.scale_max_label:
        labels.append((q.scale_max, q.scale_max_label))
    return tuple(labels)


def _variable(item: _Item, value_labels, option_codes=()) -> Variable:
    return Variable(
        name=item.name, kind=item.kind, question_id=item.question_id, question_type=item.question_type,
        label=item.label, versions=tuple(item.versions), value_labels=tuple(value_labels), option_id=item.option_id,
        slot=item.slot, storage=item.storage, demographic=item.demographic,
        integer=item.integer if item.kind is VariableKind.NUMBER else item.kind not in TEXT_KINDS,
        option_codes=tuple(option_codes),
    )


def build_codebook(versions: Iterable[tuple[int, Questionnaire]]) -> Codebook:
    """The codebook of published versions given as (version number, spec) pairs.

    Order does not matter (they are taken by number); numbers must differ.
    Feed it every published version: the result for versions 1..n is the
    result for 1..n-1 with variables and slots appended, never changed.
    """
    ordered = sorted(versions, key=lambda pair: pair[0])
    numbers = [n for n, _ in ordered]
    if len(set(numbers)) != len(numbers):
        raise ValueError("version numbers must differ")
    builder = _Builder()
    for number, spec in ordered:
        builder.add_version(number, spec)
    return Codebook(builder.variables(), len(builder.slots), tuple(numbers), builder.codings)


__all__ = [
    "Codebook",
    "CodingError",
    "EPOCH",
    "RowEncoder",
    "STORAGE",
    "TEXT_KINDS",
    "Variable",
    "VariableKind",
    "build_codebook",
    "day_number",
    "from_day_number",
    "merge_orders",
]
