"""Publish checks, and which questions a respondent is shown.

Order. Questions are answered in *questionnaire order*: sections in order,
and inside a section its questions in order. A question's condition may
only read questions that come before it in that order (in its own section
or an earlier one). A section's condition decides whether its page is shown
at all, so it may only read questions of earlier sections. With that rule
no cycle can arise; the cycle check is kept as a second line of defence and
to give a clearer message when one does.

Visibility is decided by walking that order once: a hidden section hides
all its questions; a hidden question's answer is ignored when later
conditions are evaluated (it counts as unanswered), and ``drop_hidden``
removes it so it is never stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from forms.questionnaire import conditions
from forms.questionnaire.conditions import Answered, Condition, In, Selected
from forms.questionnaire.ids import is_option_id, is_question_id
from forms.questionnaire.spec import (
    CHOICE_TYPES,
    LANGUAGES,
    TEXT_TYPES,
    LocalizedText,
    Question,
    Questionnaire,
    QuestionType,
)

#: Built-in length limits of text answers; ``max_length`` may only lower them.
TEXT_LIMITS = {QuestionType.SHORT_TEXT: 500, QuestionType.LONG_TEXT: 10000}
#: Most points a rating or matrix scale may have (0-100 is the widest).
MAX_SCALE_POINTS = 101

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Problem:
    """One thing that blocks publishing. ``message`` is lazily translated."""

    path: str
    code: str
    message: object
    section: str | None = None
    question: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _language_name(language: str):
    return _l("Chinese") if language == "zh" else _l("English")


class _Collector:
    def __init__(self, questionnaire: Questionnaire):
        self.questionnaire = questionnaire
        self.problems: list[Problem] = []
        self.languages = [lang for lang in questionnaire.languages if lang in LANGUAGES]

    def add(self, path: str, code: str, message, section=None, question=None) -> None:
        self.problems.append(Problem(path, code, message, section, question))

    def texts(self, text: LocalizedText, path: str, what, section=None, question=None) -> None:
        for language in self.languages:
            if not getattr(text, language).strip():
                self.add(path, "missing_text",
                         _l("%(what)s has no %(language)s text.", what=what, language=_language_name(language)),
                         section, question)


def publish_problems(questionnaire: Questionnaire) -> list[Problem]:
    """Every problem that blocks publishing, in questionnaire order; empty when ready."""
    out = _Collector(questionnaire)
    if not out.languages or len(set(questionnaire.languages)) != len(questionnaire.languages) or len(
        out.languages
    ) != len(questionnaire.languages):
        out.add("languages", "bad_languages", _l("Choose Chinese, English or both as the questionnaire's languages."))
    out.texts(questionnaire.title, "title", _l("The questionnaire title"))
    if not any(True for _ in questionnaire.questions()):
        out.add("sections", "no_questions", _l("The questionnaire has no questions."))
    seen_sections: set[str] = set()
    seen_questions: set[str] = set()
    for s_index, section in enumerate(questionnaire.sections):
        path = f"sections[{s_index}]"
        if not is_question_id(section.id):
            out.add(f"{path}.id", "invalid_id", _l("Section id '%(id)s' is not valid.", id=section.id), section.id)
        elif section.id in seen_sections:
            out.add(f"{path}.id", "duplicate_id", _l("Section id '%(id)s' is used twice.", id=section.id), section.id)
        seen_sections.add(section.id)
        if not section.questions:
            out.add(f"{path}.questions", "empty_section",
                    _l("Section %(section)s has no questions.", section=section.id), section.id)
        for q_index, question in enumerate(section.questions):
            q_path = f"{path}.questions[{q_index}]"
            if not is_question_id(question.id):
                out.add(f"{q_path}.id", "invalid_id", _l("Question id '%(id)s' is not valid.", id=question.id),
                        section.id, question.id)
            elif question.id in seen_questions:
                out.add(f"{q_path}.id", "duplicate_id", _l("Question id '%(id)s' is used twice.", id=question.id),
                        section.id, question.id)
            seen_questions.add(question.id)
            _check_question(out, question, q_path, section.id)
    _check_conditions(out)
    return out.problems


def _check_question(out: _Collector, q: Question, path: str, section: str) -> None:
    def add(sub: str, code: str, message) -> None:
        out.add(f"{path}{sub}", code, message, section, q.id)

    out.texts(q.title, f"{path}.title", _l("Question %(question)s", question=q.id), section, q.id)
    if q.type in CHOICE_TYPES:
        _check_options(out, q, path, section)
    if q.type is QuestionType.MULTIPLE_CHOICE:
        low, high, count = q.min_selections, q.max_selections, len(q.options)
        if (low is not None and not 1 <= low <= count) or (high is not None and not 1 <= high <= count) or (
            low is not None and high is not None and low > high
        ):
            add(".max_selections", "bad_selection_limits",
                _l("Question %(question)s: the number of selections must lie between 1 and the number of options, "
                   "minimum no more than maximum.", question=q.id))
    if q.type in (QuestionType.RATING, QuestionType.MATRIX):
        if not 2 <= q.scale_max - q.scale_min + 1 <= MAX_SCALE_POINTS:
            add(".scale_max", "bad_scale",
                _l("Question %(question)s: the scale must have from 2 to %(n)d points.", question=q.id,
                   n=MAX_SCALE_POINTS))
    if q.type is QuestionType.MATRIX:
        if not q.rows:
            add(".rows", "no_rows", _l("Matrix question %(question)s has no rows.", question=q.id))
        seen: set[str] = set()
        for index, row in enumerate(q.rows):
            if not is_option_id(row.id):
                add(f".rows[{index}].id", "invalid_id", _l("Row id '%(id)s' is not valid.", id=row.id))
            elif row.id in seen:
                add(f".rows[{index}].id", "duplicate_id",
                    _l("Question %(question)s: row id '%(id)s' is used twice.", question=q.id, id=row.id))
            seen.add(row.id)
            out.texts(row.label, f"{path}.rows[{index}].label",
                      _l("Row %(row)s of question %(question)s", row=row.id, question=q.id), section, q.id)
    if q.type is QuestionType.RANKING and q.rank_top is not None and not 1 <= q.rank_top <= len(q.options):
        add(".rank_top", "bad_rank_top",
            _l("Question %(question)s: the number of options to rank must be between 1 and %(n)d.",
               question=q.id, n=len(q.options)))
    if q.type is QuestionType.NUMBER:
        bounds = [b for b in (q.number_min, q.number_max) if b is not None]
        if len(bounds) == 2 and q.number_min > q.number_max:
            add(".number_max", "bad_number_bounds",
                _l("Question %(question)s: the minimum is larger than the maximum.", question=q.id))
        elif q.integer and any(float(b) != int(b) for b in bounds):
            add(".number_min", "bad_number_bounds",
                _l("Question %(question)s asks for a whole number but has a fractional bound.", question=q.id))
    if q.type in TEXT_TYPES and q.max_length is not None and not 1 <= q.max_length <= TEXT_LIMITS[q.type]:
        add(".max_length", "bad_max_length",
            _l("Question %(question)s: the maximum length must be between 1 and %(n)d characters.",
               question=q.id, n=TEXT_LIMITS[q.type]))


def _check_options(out: _Collector, q: Question, path: str, section: str) -> None:
    if len(q.options) < 2:
        out.add(f"{path}.options", "too_few_options",
                _l("Question %(question)s needs at least two options.", question=q.id), section, q.id)
    seen: set[str] = set()
    others = 0
    for index, option in enumerate(q.options):
        o_path = f"{path}.options[{index}]"
        if not is_option_id(option.id):
            out.add(f"{o_path}.id", "invalid_id", _l("Option id '%(id)s' is not valid.", id=option.id), section, q.id)
        elif option.id in seen:
            out.add(f"{o_path}.id", "duplicate_id",
                    _l("Question %(question)s: option id '%(id)s' is used twice.", question=q.id, id=option.id),
                    section, q.id)
        seen.add(option.id)
        out.texts(option.label, f"{o_path}.label",
                  _l("Option %(option)s of question %(question)s", option=option.id, question=q.id), section, q.id)
        if option.is_other:
            others += 1
            if q.type is QuestionType.RANKING:
                out.add(f"{o_path}.is_other", "misplaced_other",
                        _l("Question %(question)s: a ranking cannot have an \"other, please specify\" option.",
                           question=q.id), section, q.id)
            elif others == 2:
                out.add(f"{o_path}.is_other", "misplaced_other",
                        _l("Question %(question)s has more than one \"other, please specify\" option.",
                           question=q.id), section, q.id)


# --------------------------------------------------------------------------- conditions

_COMPARABLE = {
    # question type -> comparison ops that make sense on its answers
    QuestionType.SINGLE_CHOICE: {"eq", "ne"},
    QuestionType.RATING: set(conditions.COMPARISONS),
    QuestionType.NUMBER: set(conditions.COMPARISONS),
    QuestionType.DATE: set(conditions.COMPARISONS),
    QuestionType.SHORT_TEXT: {"eq", "ne"},
    QuestionType.LONG_TEXT: {"eq", "ne"},
}


def _value_fits(question: Question, value: object) -> bool:
    """Whether a comparison value can ever equal or order an answer of this question."""
    if question.type is QuestionType.SINGLE_CHOICE:
        return any(conditions.compare(option.id, "eq", value) for option in question.options)
    if question.type in (QuestionType.RATING, QuestionType.NUMBER):
        return conditions.as_number(value) is not None
    if question.type is QuestionType.DATE:
        return isinstance(value, str) and _DATE.fullmatch(value) is not None
    return True


def _check_leaf(out: _Collector, leaf, target: Question, path: str, owner: tuple) -> None:
    def add(code: str, message) -> None:
        out.add(path, code, message, *owner)

    if isinstance(leaf, Answered):
        return
    if isinstance(leaf, Selected):
        if target.type not in CHOICE_TYPES:
            add("bad_operator", _l("selected() needs a choice question, and %(question)s is not one.",
                                   question=target.id))
        elif target.option(leaf.option) is None:
            add("unknown_option", _l("Question %(question)s has no option '%(option)s'.",
                                     question=target.id, option=leaf.option))
        return
    op = "eq" if isinstance(leaf, In) else leaf.op
    if op not in _COMPARABLE.get(target.type, set()):
        symbol = "in" if isinstance(leaf, In) else conditions.COMPARISONS[op]
        add("bad_operator", _l("'%(op)s' cannot be used on question %(question)s; use selected() or answered.",
                               op=symbol, question=target.id))
        return
    values = leaf.values if isinstance(leaf, In) else (leaf.value,)
    for value in values:
        if _value_fits(target, value):
            continue
        if target.type is QuestionType.SINGLE_CHOICE:
            add("unknown_option", _l("Question %(question)s has no option '%(option)s'.",
                                     question=target.id, option=value))
        else:
            add("bad_value", _l("Question %(question)s is never answered with '%(value)s'.",
                                question=target.id, value=value))


def _check_conditions(out: _Collector) -> None:
    questionnaire = out.questionnaire
    # Position of every question in questionnaire order, and its section's index.
    position: dict[str, tuple[int, int]] = {}
    questions: dict[str, Question] = {}
    order = 0
    for s_index, section in enumerate(questionnaire.sections):
        for question in section.questions:
            position.setdefault(question.id, (order, s_index))
            questions.setdefault(question.id, question)
            order += 1
    order = 0
    for s_index, section in enumerate(questionnaire.sections):
        # A section's condition must read earlier sections only.
        _check_condition(out, section.show_if, f"sections[{s_index}].show_if", (section.id, None),
                         lambda pos, s=s_index: pos[1] < s, position, questions)
        for q_index, question in enumerate(section.questions):
            _check_condition(out, question.show_if, f"sections[{s_index}].questions[{q_index}].show_if",
                             (section.id, question.id), lambda pos, o=order: pos[0] < o, position, questions)
            order += 1
    _check_cycles(out)


def _check_condition(out, condition: Condition | None, path: str, owner: tuple, is_earlier, position, questions):
    if condition is None:
        return
    what = (_l("question %(question)s", question=owner[1]) if owner[1]
            else _l("section %(section)s", section=owner[0]))
    for leaf in conditions.leaves(condition):
        target = questions.get(leaf.question)
        if target is None:
            out.add(path, "unknown_question",
                    _l("The condition of %(what)s refers to %(question)s, which does not exist.",
                       what=what, question=leaf.question), *owner)
            continue
        if not is_earlier(position[leaf.question]):
            rule = (_l("a question's condition may only refer to earlier questions") if owner[1]
                    else _l("a section's condition may only refer to questions of earlier sections"))
            out.add(path, "forward_reference",
                    _l("The condition of %(what)s refers to %(question)s: %(rule)s.",
                       what=what, question=leaf.question, rule=rule), *owner)
            continue
        _check_leaf(out, leaf, target, path, owner)


def _check_cycles(out: _Collector) -> None:
    """Report each cycle of "is shown depending on" once (nodes: sections and questions)."""
    questionnaire = out.questionnaire
    edges: dict[tuple[str, str], list[tuple[str, str]]] = {}
    paths: dict[tuple[str, str], tuple[str, tuple]] = {}
    known = {q.id for q in questionnaire.questions()}
    for s_index, section in enumerate(questionnaire.sections):
        node = ("section", section.id)
        edges.setdefault(node, []).extend(("question", r) for r in conditions.references(section.show_if) if r in known)
        paths.setdefault(node, (f"sections[{s_index}].show_if", (section.id, None)))
        for q_index, question in enumerate(section.questions):
            q_node = ("question", question.id)
            targets = edges.setdefault(q_node, [])
            targets.append(node)
            targets.extend(("question", r) for r in conditions.references(question.show_if) if r in known)
            paths.setdefault(q_node, (f"sections[{s_index}].questions[{q_index}].show_if", (section.id, question.id)))
    state: dict[tuple[str, str], int] = {}  # 1 = on the current path, 2 = finished
    stack: list[tuple[str, str]] = []

    def visit(node) -> None:
        state[node] = 1
        stack.append(node)
        for target in edges.get(node, ()):
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                path, owner = paths[target]
                names = " -> ".join(name for _, name in cycle)
                out.add(path, "condition_cycle", _l("Conditions depend on each other in a cycle: %(cycle)s.",
                                                    cycle=names), *owner)
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node)


# --------------------------------------------------------------------------- visibility

@dataclass(frozen=True)
class Visibility:
    """What a respondent with given answers is shown, in questionnaire order."""

    sections: tuple[str, ...]
    questions: tuple[str, ...]

    def shows(self, question_id: str) -> bool:
        return question_id in self.questions


def visible_questions(questionnaire: Questionnaire, answers: Mapping[str, object]) -> Visibility:
    """Walk sections and questions in order, evaluating each condition on the
    answers of the questions shown before it; see the module docstring."""
    effective: dict[str, object] = {}
    sections: list[str] = []
    shown: list[str] = []
    for section in questionnaire.sections:
        if not conditions.evaluate(section.show_if, effective):
            continue
        sections.append(section.id)
        for question in section.questions:
            if not conditions.evaluate(question.show_if, effective):
                continue
            shown.append(question.id)
            if question.id in answers:
                effective[question.id] = answers[question.id]
    return Visibility(tuple(sections), tuple(shown))


def drop_hidden(questionnaire: Questionnaire, answers: Mapping[str, object]) -> dict[str, object]:
    """The answers to shown questions only: what the server may store.

    Answers to hidden questions and to ids the questionnaire does not have
    are left out.
    """
    visibility = visible_questions(questionnaire, answers)
    return {qid: answers[qid] for qid in visibility.questions if qid in answers}
