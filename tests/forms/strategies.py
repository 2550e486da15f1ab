"""Hypothesis strategies for questionnaire specs and conditions."""

from __future__ import annotations

from hypothesis import strategies as st

from forms.questionnaire import conditions as c
from forms.questionnaire.spec import (
    Demographic,
    LocalizedText,
    MatrixRow,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)

question_ids = st.from_regex(r"[a-z][a-z0-9]{0,5}(_[a-z0-9]{1,3})?", fullmatch=True).filter(
    lambda s: s not in {"data", "meta", "errors", "answers", "layout", "process", "section", "submit", "validate"})
option_ids = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,4}", fullmatch=True)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
localized = st.builds(LocalizedText, zh=texts, en=texts)
plain_words = st.from_regex(r"[A-Za-z0-9_]{1,6}", fullmatch=True)
numbers = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
values = st.one_of(numbers, texts.filter(lambda s: s and not ("'" in s and '"' in s)))

leaf = st.one_of(
    st.builds(c.Compare, question_ids, st.sampled_from(sorted(c.COMPARISONS)), values),
    st.builds(c.In, question_ids, st.lists(plain_words, min_size=1, max_size=3, unique=True).map(tuple)),
    st.builds(c.Selected, question_ids, plain_words),
    st.builds(c.Answered, question_ids),
)
condition_trees = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(c.Not, inner),
        st.builds(c.And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(c.Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=6,
)
optional_int = st.none() | st.integers(0, 20)
optional_number = st.none() | numbers

options = st.lists(st.builds(Option, option_ids, localized, st.booleans()), max_size=4, unique_by=lambda o: o.id)
rows = st.lists(st.builds(MatrixRow, option_ids, localized), max_size=3, unique_by=lambda r: r.id)


def _question(qid: str):
    return st.builds(
        Question,
        id=st.just(qid),
        type=st.sampled_from(QuestionType),
        title=localized,
        help=localized,
        required=st.booleans(),
        options=options.map(tuple),
        shuffle=st.booleans(),
        min_selections=optional_int,
        max_selections=optional_int,
        scale_min=st.integers(-5, 5),
        scale_max=st.integers(0, 10),
        scale_min_label=localized,
        scale_max_label=localized,
        rows=rows.map(tuple),
        rank_top=optional_int,
        number_min=optional_number,
        number_max=optional_number,
        integer=st.booleans(),
        max_length=optional_int,
        demographic=st.none() | st.sampled_from(Demographic),
        show_if=st.none() | condition_trees,
    )


@st.composite
def questionnaires(draw):
    ids = draw(st.lists(question_ids, min_size=1, max_size=6, unique=True))
    section_ids = draw(st.lists(question_ids, min_size=1, max_size=3, unique=True))
    cuts = sorted(draw(st.lists(st.integers(0, len(ids)), min_size=len(section_ids) - 1,
                                max_size=len(section_ids) - 1)))
    bounds = [0, *cuts, len(ids)]
    sections = []
    for index, sid in enumerate(section_ids):
        part = ids[bounds[index]:bounds[index + 1]]
        sections.append(Section(
            id=sid, title=draw(localized), description=draw(localized),
            questions=tuple(draw(_question(qid)) for qid in part),
            show_if=draw(st.none() | condition_trees),
        ))
    return Questionnaire(
        title=draw(localized), description=draw(localized), sections=tuple(sections),
        anonymous=draw(st.booleans()),
        languages=draw(st.sampled_from([("zh",), ("en",), ("zh", "en"), ("en", "zh")])),
    )
