"""The builder's edits, as pure functions on a questionnaire spec.

Each function takes a :class:`~forms.questionnaire.spec.Questionnaire` and
returns a new one (the dataclasses are frozen), or raises :class:`EditError`
with a message for the person editing. Nothing here touches the database;
``survey.services.questionnaires.edit_questionnaire`` stores the result.

What is refused here, and what is left to the publish checklist: an edit is
refused when its result could not be stored or would silently break
something — a repeated or malformed id, deleting the last section, deleting
or renaming a question that a condition reads (conditions name questions by
id; the message names every condition that does). A draft may otherwise be
half-finished: a question without options, a condition that reads a later
question after a move, a missing English title are all listed by
``checks.publish_problems`` next to the question concerned, and block
publishing, not editing.

Every result is read back through ``Questionnaire.from_dict`` before it is
returned, so whatever the builder stores always loads again.
"""

from __future__ import annotations

import dataclasses
import re

from flask_babel import lazy_gettext as _l

from forms.questionnaire import conditions
from forms.questionnaire.conditions import Condition
from forms.questionnaire.ids import QUESTION_ID_RULE, is_question_id
from forms.questionnaire.spec import LocalizedText, Question, Questionnaire, Section, SpecError


class EditError(ValueError):
    """An edit that was refused; ``message`` is lazily translated and says why."""

    def __init__(self, message):
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.message)


class _Names:
    """Owners of conditions, joined when the message is finally rendered (and translated)."""

    def __init__(self, names: list):
        self.names = names

    def __str__(self) -> str:
        return ", ".join(str(name) for name in self.names)


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


#: Default of :func:`update_section`'s arguments: keep what the section has.
UNCHANGED = _Unchanged()

_COPY_SUFFIX = re.compile(r"_copy\d*$")
_MAX_ID = 64


# --------------------------------------------------------------------------- lookups and helpers

def _section_index(questionnaire: Questionnaire, section_id: str) -> int:
    for index, section in enumerate(questionnaire.sections):
        if section.id == section_id:
            return index
    raise EditError(_l("There is no section %(section)s.", section=section_id))


def _locate(questionnaire: Questionnaire, question_id: str) -> tuple[int, int]:
    """(section index, question index) of a question."""
    for s_index, section in enumerate(questionnaire.sections):
        for q_index, question in enumerate(section.questions):
            if question.id == question_id:
                return s_index, q_index
    raise EditError(_l("There is no question %(question)s.", question=question_id))


def _replace_section(questionnaire: Questionnaire, index: int, section: Section | None) -> Questionnaire:
    """The questionnaire with section ``index`` replaced, or removed when ``section`` is None."""
    sections = list(questionnaire.sections)
    if section is None:
        del sections[index]
    else:
        sections[index] = section
    return dataclasses.replace(questionnaire, sections=tuple(sections))


def _with_questions(section: Section, questions: list[Question]) -> Section:
    return dataclasses.replace(section, questions=tuple(questions))


def _step(step: int) -> int:
    if step not in (-1, 1):
        raise EditError(_l("Move by one place: up (-1) or down (+1)."))
    return step


def _check_id(value: str) -> None:
    if not is_question_id(value):
        raise EditError(_l("'%(id)s' is not a valid id: use %(rule)s.", id=value, rule=QUESTION_ID_RULE))


def _check_new_question_id(questionnaire: Questionnaire, question_id: str) -> None:
    _check_id(question_id)
    if questionnaire.question(question_id) is not None:
        raise EditError(_l("The id %(id)s is already used by another question.", id=question_id))


def _checked(questionnaire: Questionnaire) -> Questionnaire:
    """The edited questionnaire, once it is known to read back from its JSON form."""
    try:
        Questionnaire.from_dict(questionnaire.to_dict())
    except SpecError as exc:
        raise EditError(_l("This change cannot be stored: %(reason)s", reason=str(exc))) from None
    return questionnaire


def condition_owners(questionnaire: Questionnaire, question_ids: set[str] | frozenset[str]) -> list[tuple[str, str]]:
    """("section" | "question", id) of every section and question whose condition reads one of ``question_ids``.

    In questionnaire order; a question is not listed for reading itself.
    """
    owners: list[tuple[str, str]] = []
    for section in questionnaire.sections:
        if set(conditions.references(section.show_if)) & question_ids:
            owners.append(("section", section.id))
        for question in section.questions:
            if question.id not in question_ids and set(conditions.references(question.show_if)) & question_ids:
                owners.append(("question", question.id))
    return owners


def _owner_names(owners: list[tuple[str, str]]) -> _Names:
    return _Names([
        _l("question %(question)s", question=owner) if kind == "question" else _l("section %(section)s", section=owner)
        for kind, owner in owners
    ])


def suggest_question_id(questionnaire: Questionnaire) -> str:
    """A free id for a new question: ``q`` and the next number after the questions there are."""
    taken = {q.id for q in questionnaire.questions()}
    number = len(taken) + 1
    while f"q{number}" in taken:
        number += 1
    return f"q{number}"


def suggest_section_id(questionnaire: Questionnaire) -> str:
    """A free id for a new section: ``s`` and the next number."""
    taken = {s.id for s in questionnaire.sections}
    number = len(taken) + 1
    while f"s{number}" in taken:
        number += 1
    return f"s{number}"


def copy_id(questionnaire: Questionnaire, question_id: str) -> str:
    """The id :func:`duplicate_question` gives a copy: ``q5_copy``, then ``q5_copy2``, ...

    A copy of a copy counts from the same stem (``q5_copy`` -> ``q5_copy2``).
    """
    taken = {q.id for q in questionnaire.questions()}
    stem = _COPY_SUFFIX.sub("", question_id).rstrip("_") or "q"
    number = 1
    while True:
        suffix = "_copy" if number == 1 else f"_copy{number}"
        candidate = stem[: _MAX_ID - len(suffix)].rstrip("_") + suffix
        if candidate not in taken:
            return candidate
        number += 1


# --------------------------------------------------------------------------- the questionnaire itself

def update_details(
    questionnaire: Questionnaire,
    *,
    title: LocalizedText | _Unchanged = UNCHANGED,
    description: LocalizedText | _Unchanged = UNCHANGED,
    languages: tuple[str, ...] | _Unchanged = UNCHANGED,
    anonymous: bool | _Unchanged = UNCHANGED,
) -> Questionnaire:
    """Change the title, introduction, languages or anonymity; sections stay as they are.

    (Anonymity cannot change once a version is live; the service that
    stores the edit refuses that, as it knows whether one is.)
    """
    changes = {name: value for name, value in (("title", title), ("description", description),
                                               ("languages", languages), ("anonymous", anonymous))
               if not isinstance(value, _Unchanged)}
    return _checked(dataclasses.replace(questionnaire, **changes))


# --------------------------------------------------------------------------- sections

def add_section(questionnaire: Questionnaire, section: Section, after: str | None = None) -> Questionnaire:
    """Insert ``section`` after the section ``after`` (None: at the end)."""
    _check_id(section.id)
    if questionnaire.section(section.id) is not None:
        raise EditError(_l("The id %(id)s is already used by another section.", id=section.id))
    for question in section.questions:
        _check_new_question_id(questionnaire, question.id)
    position = len(questionnaire.sections) if after is None else _section_index(questionnaire, after) + 1
    sections = list(questionnaire.sections)
    sections.insert(position, section)
    return _checked(dataclasses.replace(questionnaire, sections=tuple(sections)))


def update_section(
    questionnaire: Questionnaire,
    section_id: str,
    *,
    new_id: str | _Unchanged = UNCHANGED,
    title: LocalizedText | _Unchanged = UNCHANGED,
    description: LocalizedText | _Unchanged = UNCHANGED,
    show_if: Condition | None | _Unchanged = UNCHANGED,
) -> Questionnaire:
    """Change a section's id, title, description or condition; its questions stay as they are.

    A section id is not read by any condition, so it may change freely as
    long as it stays unique.
    """
    index = _section_index(questionnaire, section_id)
    section = questionnaire.sections[index]
    changes: dict = {}
    if not isinstance(new_id, _Unchanged) and new_id != section_id:
        _check_id(new_id)
        if questionnaire.section(new_id) is not None:
            raise EditError(_l("The id %(id)s is already used by another section.", id=new_id))
        changes["id"] = new_id
    for name, value in (("title", title), ("description", description), ("show_if", show_if)):
        if not isinstance(value, _Unchanged):
            changes[name] = value
    return _checked(_replace_section(questionnaire, index, dataclasses.replace(section, **changes)))


def move_section(questionnaire: Questionnaire, section_id: str, step: int) -> Questionnaire:
    """Move a section one place up (-1) or down (+1), with all its questions."""
    index = _section_index(questionnaire, section_id)
    target = index + _step(step)
    if target < 0:
        raise EditError(_l("Section %(section)s is already the first section.", section=section_id))
    if target >= len(questionnaire.sections):
        raise EditError(_l("Section %(section)s is already the last section.", section=section_id))
    sections = list(questionnaire.sections)
    sections[index], sections[target] = sections[target], sections[index]
    return _checked(dataclasses.replace(questionnaire, sections=tuple(sections)))


def delete_section(questionnaire: Questionnaire, section_id: str) -> Questionnaire:
    """Remove a section and its questions, unless a condition elsewhere reads one of them."""
    index = _section_index(questionnaire, section_id)
    if len(questionnaire.sections) == 1:
        raise EditError(_l("A questionnaire needs at least one section; %(section)s is the only one.",
                           section=section_id))
    section = questionnaire.sections[index]
    own = {q.id for q in section.questions}
    outside = [owner for owner in condition_owners(questionnaire, own)
               if owner != ("section", section_id) and not (owner[0] == "question" and owner[1] in own)]
    if outside:
        raise EditError(_l("Section %(section)s cannot be deleted: the condition of %(owners)s reads its questions. "
                           "Change that condition first.", section=section_id, owners=_owner_names(outside)))
    return _checked(_replace_section(questionnaire, index, None))


# --------------------------------------------------------------------------- questions

def add_question(questionnaire: Questionnaire, section_id: str, question: Question,
                 after: str | None = None) -> Questionnaire:
    """Insert ``question`` into a section, after its question ``after`` (None: at the end)."""
    index = _section_index(questionnaire, section_id)
    _check_new_question_id(questionnaire, question.id)
    section = questionnaire.sections[index]
    questions = list(section.questions)
    if after is None:
        position = len(questions)
    else:
        ids = [q.id for q in questions]
        if after not in ids:
            raise EditError(_l("Section %(section)s has no question %(question)s.", section=section_id,
                               question=after))
        position = ids.index(after) + 1
    questions.insert(position, question)
    return _checked(_replace_section(questionnaire, index, _with_questions(section, questions)))


def update_question(questionnaire: Questionnaire, question_id: str, question: Question, *,
                    keep_ids: frozenset[str] = frozenset()) -> Questionnaire:
    """Replace a question where it stands.

    Its id may change only while no condition reads it (the message names
    those that do) and when it is not in ``keep_ids`` — the questions of
    the live version, whose ids tie answers together across versions.
    """
    s_index, q_index = _locate(questionnaire, question_id)
    if question.id != question_id:
        if question_id in keep_ids:
            raise EditError(_l("Question %(question)s is in the published version: its id must stay the same so "
                               "its answers can be compared across versions.", question=question_id))
        owners = condition_owners(questionnaire, {question_id})
        if owners:
            raise EditError(_l("The id of question %(question)s cannot change: the condition of %(owners)s reads "
                               "it. Change that condition first.", question=question_id,
                               owners=_owner_names(owners)))
        _check_new_question_id(questionnaire, question.id)
    section = questionnaire.sections[s_index]
    questions = list(section.questions)
    questions[q_index] = question
    return _checked(_replace_section(questionnaire, s_index, _with_questions(section, questions)))


def move_question(questionnaire: Questionnaire, question_id: str, step: int) -> Questionnaire:
    """Move a question one place up (-1) or down (+1).

    From the top of a section it moves to the end of the section before;
    from the bottom, to the start of the section after (empty sections
    included, so a question can be moved into a new section).
    """
    s_index, q_index = _locate(questionnaire, question_id)
    _step(step)
    section = questionnaire.sections[s_index]
    questions = list(section.questions)
    target = q_index + step
    if 0 <= target < len(questions):
        questions[q_index], questions[target] = questions[target], questions[q_index]
        return _checked(_replace_section(questionnaire, s_index, _with_questions(section, questions)))
    neighbour = s_index + step
    if neighbour < 0:
        raise EditError(_l("Question %(question)s is already the first question.", question=question_id))
    if neighbour >= len(questionnaire.sections):
        raise EditError(_l("Question %(question)s is already the last question.", question=question_id))
    moved = questions.pop(q_index)
    other = questionnaire.sections[neighbour]
    other_questions = list(other.questions)
    if step < 0:
        other_questions.append(moved)
    else:
        other_questions.insert(0, moved)
    result = _replace_section(questionnaire, s_index, _with_questions(section, questions))
    result = _replace_section(result, neighbour, _with_questions(other, other_questions))
    return _checked(result)


def duplicate_question(questionnaire: Questionnaire, question_id: str) -> Questionnaire:
    """Insert a copy right after the question, with the id :func:`copy_id` gives.

    The copy keeps the original's condition, which names questions by their
    ids and so can never read the copy's new one.
    """
    s_index, q_index = _locate(questionnaire, question_id)
    original = questionnaire.sections[s_index].questions[q_index]
    copy = dataclasses.replace(original, id=copy_id(questionnaire, question_id))
    return add_question(questionnaire, questionnaire.sections[s_index].id, copy, after=question_id)


def delete_question(questionnaire: Questionnaire, question_id: str) -> Questionnaire:
    """Remove a question, unless a condition reads it (the message names every one that does)."""
    s_index, q_index = _locate(questionnaire, question_id)
    owners = condition_owners(questionnaire, {question_id})
    if owners:
        raise EditError(_l("Question %(question)s cannot be deleted: the condition of %(owners)s reads it. "
                           "Change that condition first.", question=question_id, owners=_owner_names(owners)))
    section = questionnaire.sections[s_index]
    questions = list(section.questions)
    del questions[q_index]
    return _checked(_replace_section(questionnaire, s_index, _with_questions(section, questions)))
