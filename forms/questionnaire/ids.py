"""Identifier rules shared by specs, conditions and form field names.

Question and section ids become HTML field names (``q3``, ``q3__other``,
``q3__r1``, ``q3__1``) and XLSForm names (``${q3}``), so they are restricted to
ASCII letters, digits and single underscores, start with a letter, and never
contain the ``__`` separator. Option and matrix row ids travel inside field
values and XLSForm choice lists, where a space separates selections, so they
may hold letters, digits, ``_``, ``.`` and ``-`` but no spaces.
"""

from __future__ import annotations

import re

#: Separator between a question id and a part of it in a field name.
FIELD_SEPARATOR = "__"

_QUESTION_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_OPTION_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}")

#: Names a question may not take because the built form class already uses
#: them (WTForms/Flask-WTF attributes and the builder's own).
RESERVED_QUESTION_IDS = frozenset(
    {
        "answers", "csrf_token", "data", "errors", "extra_validators", "form_errors",
        "hidden_questions", "hidden_tag", "is_submitted", "layout", "meta",
        "populate_obj", "post_process", "previous_answers", "process", "question_errors",
        "questionnaire", "section", "submit", "validate", "validate_on_submit",
    }
)


def is_question_id(value: object) -> bool:
    """True for a usable question or section id (see the module docstring)."""
    return (
        isinstance(value, str)
        and _QUESTION_ID.fullmatch(value) is not None
        and FIELD_SEPARATOR not in value
        and value not in RESERVED_QUESTION_IDS
    )


def is_option_id(value: object) -> bool:
    """True for a usable option or matrix row id (see the module docstring)."""
    return isinstance(value, str) and _OPTION_ID.fullmatch(value) is not None


QUESTION_ID_RULE = "1-64 ASCII letters, digits or single underscores, starting with a letter"
OPTION_ID_RULE = "1-64 ASCII letters, digits, '_', '.' or '-', not starting with '.' or '-'"
