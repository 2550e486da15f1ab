"""Fixtures for the database-free questionnaire package: a minimal Flask app
(Babel on, CSRF off) for WTForms tests, and a small member-needs questionnaire."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import Babel

from forms.questionnaire.conditions import parse
from forms.questionnaire.spec import (
    Demographic,
    LocalizedText as L,
    MatrixRow,
    Option,
    Question,
    Questionnaire,
    QuestionType as T,
    Section,
)


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False, SECRET_KEY="test", BABEL_DEFAULT_LOCALE="en")
    Babel(app)
    return app


@pytest.fixture
def request_ctx(app):
    with app.test_request_context("/", method="POST"):
        yield


def options(*ids: str) -> tuple[Option, ...]:
    return tuple(Option(i, L(f"选项{i}", f"Option {i}")) for i in ids)


def make_questionnaire() -> Questionnaire:
    """Two pages; page 2 is shown to members aged 18+, with follow-ups on the same page."""
    return Questionnaire(
        title=L("职工需求问卷", "Member needs survey"),
        sections=(
            Section("about", L("基本情况", "About you"), questions=(
                Question("gender", T.SINGLE_CHOICE, L("性别", "Gender"), required=True,
                         options=options("m", "f") + (Option("other", L("其他", "Other"), True),),
                         demographic=Demographic.GENDER),
                Question("age", T.NUMBER, L("年龄", "Age"), required=True, number_min=16, number_max=100),
            )),
            Section("needs", L("需求", "Needs"), show_if=parse("${age} >= 18"), questions=(
                Question("needs", T.MULTIPLE_CHOICE, L("您需要哪些服务", "Which services do you need"),
                         options=options("legal", "training", "aid") + (Option("more", L("其他", "Other"), True),),
                         min_selections=1, max_selections=2),
                Question("legal_detail", T.LONG_TEXT, L("法律援助", "Legal aid details"), required=True,
                         max_length=20, show_if=parse("selected(${needs}, 'legal')")),
                Question("satisfaction", T.RATING, L("满意度", "Satisfaction"), scale_min=1, scale_max=5),
                Question("home", T.MATRIX, L("职工之家", "Workers' home"), required=True,
                         rows=(MatrixRow("space", L("场地", "Space")), MatrixRow("staff", L("人员", "Staff")))),
                Question("priority", T.RANKING, L("排序", "Priorities"), options=options("a", "b", "c", "d"),
                         rank_top=2),
                Question("name", T.SHORT_TEXT, L("姓名", "Name"), max_length=5),
                Question("joined", T.DATE, L("入会日期", "Joined on")),
                Question("income", T.NUMBER, L("收入", "Income"), integer=False, number_max=99.5),
            )),
        ),
    )


@pytest.fixture
def questionnaire() -> Questionnaire:
    return make_questionnaire()
