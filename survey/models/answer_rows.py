"""Each submitted response's answers as one packed numeric row, for analysis in bulk.

``Response.answers`` (JSON) stays the record of what was answered; this table
holds the same answers coded by the questionnaire's codebook
(``forms.questionnaire.codebook``) and packed into a few dozen bytes
(``forms.questionnaire.row_format``), so that analysis reads a million
responses with one query and ``numpy.frombuffer`` instead of a million ORM
objects or JSON documents. A row is written in the same transaction that
submits its response and never changes afterwards; ``kaimen export
rebuild-matrix`` rewrites the rows of a questionnaire from the JSON answers.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import db


class AnswerRow(db.Model):
    __tablename__ = "answer_rows"
    __table_args__ = (Index("ix_answer_rows_questionnaire_id_response_id", "questionnaire_id", "response_id"),)

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id", ondelete="RESTRICT"))
    #: Copied from the response (its unit is fixed once it is submitted).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="SET NULL"))
    submitted_on: Mapped[date] = mapped_column(Date)
    #: Numeric variables in slot order, packed (``forms.questionnaire.row_format``).
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: Text variables as a JSON object {variable name: text}; NULL when there is no text.
    texts: Mapped[str | None] = mapped_column(Text)
