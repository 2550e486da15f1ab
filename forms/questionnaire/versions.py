"""Compare two versions of a questionnaire, question by question.

Questions are matched by id (ids are kept across versions). A question is

- ``unchanged``: nothing differs;
- ``reworded``: its answers mean the same as before, only presentation or
  validation changed (title, help, labels, required, shuffle, bounds, length,
  selection limits, condition, demographic tag, position). Listed in
  ``differences``;
- ``changed``: its answers are not comparable (type, option ids, which option
  is "other", matrix rows, scale, number of ranks, whole vs decimal numbers);
- ``added``: new in this version. Ids of the old version that are gone are
  listed in ``removed``.

Analysis may pool the answers of unchanged and reworded questions across
the two versions, and must keep changed ones apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from forms.questionnaire.spec import Question, Questionnaire, QuestionType


class ChangeKind(str, Enum):
    UNCHANGED = "unchanged"
    REWORDED = "reworded"
    CHANGED = "changed"
    ADDED = "added"


@dataclass(frozen=True)
class QuestionChange:
    """How one question of the new version relates to the old one."""

    question: str
    kind: ChangeKind
    differences: tuple[str, ...] = ()

    @property
    def comparable(self) -> bool:
        return self.kind in (ChangeKind.UNCHANGED, ChangeKind.REWORDED)


@dataclass(frozen=True)
class VersionComparison:
    """Per-question changes in the new version's order, and removed ids."""

    changes: tuple[QuestionChange, ...]
    removed: tuple[str, ...]

    def change(self, question_id: str) -> QuestionChange | None:
        return next((c for c in self.changes if c.question == question_id), None)

    def comparable(self) -> tuple[str, ...]:
        """Ids whose answers may be combined across the two versions."""
        return tuple(c.question for c in self.changes if c.comparable)

    @property
    def identical(self) -> bool:
        return not self.removed and all(c.kind is ChangeKind.UNCHANGED for c in self.changes)


def _answer_shape(q: Question) -> dict[str, object]:
    """The settings that decide what an answer means; any difference is incompatible."""
    shape: dict[str, object] = {"type": q.type}
    if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING):
        shape["options"] = frozenset(o.id for o in q.options)
        shape["other option"] = frozenset(o.id for o in q.options if o.is_other)
    if q.type in (QuestionType.RATING, QuestionType.MATRIX):
        shape["scale"] = (q.scale_min, q.scale_max)
    if q.type is QuestionType.MATRIX:
        shape["rows"] = frozenset(r.id for r in q.rows)
    if q.type is QuestionType.RANKING:
        shape["ranks"] = min(q.rank_top or len(q.options), len(q.options))
    if q.type is QuestionType.NUMBER:
        shape["whole numbers"] = q.integer
    return shape


def _presentation(q: Question) -> dict[str, object]:
    """Everything else a respondent sees or is held to."""
    return {
        "title": q.title,
        "help": q.help,
        "option labels": tuple((o.id, o.label) for o in q.options),
        "option order": tuple(o.id for o in q.options),
        "row labels": tuple((r.id, r.label) for r in q.rows),
        "row order": tuple(r.id for r in q.rows),
        "scale labels": (q.scale_min_label, q.scale_max_label),
        "required": q.required,
        "shuffle": q.shuffle,
        "selection limits": (q.min_selections, q.max_selections),
        "number bounds": (q.number_min, q.number_max),
        "max length": q.max_length,
        "condition": q.show_if,
        "demographic": q.demographic,
    }


def _diff(old: dict, new: dict) -> tuple[str, ...]:
    return tuple(key for key in new if old.get(key) != new[key])


def compare_versions(old: Questionnaire, new: Questionnaire) -> VersionComparison:
    """Classify every question of ``new`` against ``old``; see the module docstring."""
    old_questions = {q.id: q for q in old.questions()}
    old_sections = {q.id: s.id for s in old.sections for q in s.questions}
    new_ids = set()
    changes = []
    for section in new.sections:
        for question in section.questions:
            new_ids.add(question.id)
            before = old_questions.get(question.id)
            if before is None:
                changes.append(QuestionChange(question.id, ChangeKind.ADDED))
                continue
            incompatible = _diff(_answer_shape(before), _answer_shape(question))
            if incompatible:
                changes.append(QuestionChange(question.id, ChangeKind.CHANGED, incompatible))
                continue
            differences = _diff(_presentation(before), _presentation(question))
            if old_sections[question.id] != section.id:
                differences += ("section",)
            kind = ChangeKind.REWORDED if differences else ChangeKind.UNCHANGED
            changes.append(QuestionChange(question.id, kind, differences))
    removed = tuple(qid for qid in old_questions if qid not in new_ids)
    return VersionComparison(tuple(changes), removed)
