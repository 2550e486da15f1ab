"""XLSForm import (real forms written by others, and crafted edge cases), export and safety."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from forms.questionnaire.conditions import And, Compare, Selected, parse
from forms.questionnaire.spec import LocalizedText as L
from forms.questionnaire.spec import MatrixRow, Option, Question, Questionnaire, QuestionType, Section
from forms.questionnaire.xlsform import XLSFormError, import_xlsform, language_of
from forms.questionnaire.xlsform_export import export_xlsform
from tests.forms.conftest import make_questionnaire

from tests.fixtures import XLSFORM_DIR

INTEROP = XLSFORM_DIR


def workbook(survey, choices=None, settings=None) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows is not None:
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_extra_part(data: bytes, name: str, content: bytes = b"x") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    return out.getvalue()


def en(text: str) -> L:
    return L("", text)


# --------------------------------------------------------------------------- the real forms

def test_every_real_form_is_covered_by_a_test():
    tested = {"choice_filter_test.xlsx", "field-list.xlsx", "group.xlsx", "or_other.xlsx", "specify_other.xlsx",
              "text_and_integer.xlsx", "yes_or_no_question.xlsx"}
    assert {p.name for p in INTEROP.glob("*.xls*")} == tested


def test_real_text_and_integer():
    result = import_xlsform(INTEROP / "text_and_integer.xlsx")
    assert result.report == ()
    assert result.questionnaire == Questionnaire(
        title=en("text_and_integer"), languages=("en",),
        sections=(Section("page1", questions=(
            Question("your_name", QuestionType.SHORT_TEXT, en("What is your name?")),
            Question("your_age", QuestionType.NUMBER, en("How many years old are you?")),
        )),))


def test_real_group_becomes_a_section():
    result = import_xlsform(INTEROP / "group.xlsx")
    assert result.report == (
        "survey row 4 (type 'phone number', name 'phone_number'): imported as a short text question "
        "(Kaimen does not check phone numbers)",
    )
    q = result.questionnaire
    assert [s.id for s in q.sections] == ["page1", "father"]
    assert q.sections[1].title == en("Father")
    assert [(x.id, x.type) for x in q.questions()] == [
        ("family_name", QuestionType.SHORT_TEXT), ("phone_number", QuestionType.SHORT_TEXT),
        ("age", QuestionType.NUMBER)]


def test_real_old_style_select_one_from():
    result = import_xlsform(INTEROP / "yes_or_no_question.xlsx")
    assert result.report == ()
    [question] = result.questionnaire.questions()
    assert question == Question("good_day", QuestionType.SINGLE_CHOICE, en("have you had a good day today?"),
                                options=(Option("yes", en("yes")), Option("no", en("no"))))


def test_real_specify_other():
    result = import_xlsform(INTEROP / "specify_other.xlsx")
    assert result.report == ()
    [question] = result.questionnaire.questions()
    assert question.options == (Option("male", en("Male")), Option("female", en("Female")),
                                Option("other", L("其他", "Other"), True))


def test_real_or_other_with_choice_filter():
    result = import_xlsform(INTEROP / "or_other.xlsx")
    assert result.report == (
        "survey row 3 (type 'select_one colors', name 'fav_pastel'): choice_filter 'pastel=yes' ignored: "
        "Kaimen shows every option of the list",
        "choices row 2 (list 'colors', name 'red'): pastel 'no' ignored",
        "choices row 3 (list 'colors', name 'green'): pastel 'no' ignored",
        "choices row 4 (list 'colors', name 'blue'): pastel 'no' ignored",
        "choices row 5 (list 'colors', name 'mauve'): pastel 'yes' ignored",
        "choices row 6 (list 'colors', name 'apricot'): pastel 'yes' ignored",
    )
    color, pastel = result.questionnaire.questions()
    assert [o.id for o in color.options] == ["red", "green", "blue", "mauve", "apricot", "other"]
    assert color.other_option == Option("other", L("其他", "Other"), True)
    assert pastel.other_option is None and len(pastel.options) == 5


def test_real_cascading_selects():
    result = import_xlsform(INTEROP / "choice_filter_test.xlsx")
    assert result.report == (
        "survey row 3 (type 'select_one counties', name 'county'): choice_filter '${state}=cf' ignored: "
        "Kaimen shows every option of the list",
        "survey row 4 (type 'select_one cities', name 'city'): choice_filter '${county}=cf' ignored: "
        "Kaimen shows every option of the list",
        "choices row 4 (list 'counties', name 'king'): cf 'washington' ignored",
        "choices row 5 (list 'counties', name 'pierce'): cf 'washington' ignored",
        "choices row 6 (list 'counties', name 'king'): the name already appears in list 'counties' at choices "
        "row 4; not imported",
        "choices row 7 (list 'counties', name 'cameron'): cf 'texas' ignored",
        "choices row 8 (list 'cities', name 'dumont'): cf 'king' ignored",
        "choices row 9 (list 'cities', name 'finney'): cf 'king' ignored",
        "choices row 10 (list 'cities', name 'brownsville'): cf 'cameron' ignored",
        "choices row 11 (list 'cities', name 'harlingen'): cf 'cameron' ignored",
        "choices row 12 (list 'cities', name 'seattle'): cf 'king' ignored",
        "choices row 13 (list 'cities', name 'redmond'): cf 'king' ignored",
        "choices row 14 (list 'cities', name 'tacoma'): cf 'pierce' ignored",
        "choices row 15 (list 'cities', name 'puyallup'): cf 'pierce' ignored",
        "settings form_id 'cascading_selects1' ignored",
        "settings allow_choice_duplicates 'yes' ignored",
    )
    q = result.questionnaire
    assert q.title == en("cascading selects")
    assert [o.id for o in q.question("county").options] == ["king", "pierce", "cameron"]
    assert len(q.question("city").options) == 8


def test_real_field_list_with_chinese_choice_labels():
    result = import_xlsform(INTEROP / "field-list.xlsx")
    assert result.report == ()
    [section] = result.questionnaire.sections
    assert (section.id, section.title) == ("name", L())
    [question] = section.questions
    assert question.help == en("hint")
    assert question.options == (Option("yes", L("是", "Yes")), Option("no", L("没有", "No")))
    assert result.questionnaire.languages == ("en",)


# --------------------------------------------------------------------------- mapping rules

def test_types_that_kaimen_cannot_represent_are_reported_row_by_row():
    data = workbook(
        [("type", "name", "label", "hint", "appearance", "constraint", "default", "label::Français (fr)"),
         ("geopoint", "loc", "Where?"),
         ("calculate", "calc", "", "", "", "", "", ""),
         ("text", "bio", "Bio", "", "multiline"),
         ("integer", "age", "Age", "", "", ". >= 16 and . <= 100", "30", "Âge"),
         ("integer", "kids", "Kids", "", "", ". > 0"),
         ("decimal", "weight", "Weight", "", "", ". > 0"),
         ("text", "code", "Code", "", "", "regex(., '^[0-9]+$')"),
         ("select_multiple pets", "pets", "Pets", "", "minimal", "count-selected(.) <= 2"),
         ("time", "when", "When"),
         ("image", "photo", "Photo"),
         ("start", "start"),
         ("select_one nolist", "nolist", "Missing list"),
         ("foo", "foo", "Foo"),
         ("text", "bad-name", "Bad name"),
         ("text", "bio", "Twice"),
         ("text", "", "Nameless"),
         ("text", "nolabel"),
         ("date", "born", "Born"),
         ("range", "slider", "Slider", "", "", "", "", ""),
         ("begin repeat", "kids_rep", "Each child"),
         ("text", "kid_name", "Name"),
         ("end repeat",)],
        [("list_name", "name", "label"), ("pets", "cat", "Cat"), ("pets", "dog", "Dog"), ("pets", "a b", "Bad"),
         ("spare", "x", "X")],
    )
    result = import_xlsform(data, filename="pets.xlsx")
    assert result.report == (
        "survey row 2 (type 'geopoint', name 'loc'): Kaimen has no location question; not imported",
        "survey row 3 (type 'calculate', name 'calc'): Kaimen has no calculated fields; not imported",
        "survey row 5 (type 'integer', name 'age'): default '30' ignored: Kaimen has no default answers",
        "survey row 5 (type 'integer', name 'age'): label::Français (fr) 'Âge' ignored",
        "survey row 7 (type 'decimal', name 'weight'): constraint '. > 0' ignored: Kaimen cannot check it",
        "survey row 8 (type 'text', name 'code'): constraint 'regex(., '^[0-9]+$')' ignored: Kaimen cannot check it",
        "survey row 9 (type 'select_multiple pets', name 'pets'): appearance 'minimal' ignored: "
        "Kaimen chooses its own layout",
        "survey row 10 (type 'time', name 'when'): Kaimen has no time question; not imported",
        "survey row 11 (type 'image', name 'photo'): Kaimen has no file or media upload; not imported",
        "survey row 12 (type 'start', name 'start'): Kaimen collects no device or form metadata; not imported",
        "survey row 13 (type 'select_one nolist', name 'nolist'): the choices sheet has no list 'nolist'; "
        "not imported",
        "survey row 14 (type 'foo', name 'foo'): Kaimen does not know the type 'foo'; not imported",
        "survey row 15 (type 'text', name 'bad-name'): name 'bad-name' is not usable in Kaimen (1-64 ASCII "
        "letters, digits or single underscores, starting with a letter); not imported",
        "survey row 16 (type 'text', name 'bio'): name 'bio' is already used in survey row 4; not imported",
        "survey row 17 (type 'text'): no name; not imported",
        "survey row 18 (type 'text', name 'nolabel'): no label; the name is used as the title",
        "survey row 21 (type 'begin repeat', name 'kids_rep'): Kaimen has no repeating groups; not imported",
        "survey row 22 (type 'text', name 'kid_name'): inside repeat 'kids_rep'; not imported",
        "choices row 4 (list 'pets', name 'a b'): name 'a b' is not usable as an option id (1-64 ASCII letters, "
        "digits, '_', '.' or '-', not starting with '.' or '-'); not imported",
        "choices list 'spare' is not used by any question; ignored",
    )
    q = result.questionnaire
    assert [x.id for x in q.questions()] == ["bio", "age", "kids", "weight", "code", "pets", "nolabel", "born",
                                             "slider"]
    assert q.question("bio").type is QuestionType.LONG_TEXT
    assert (q.question("age").number_min, q.question("age").number_max) == (16, 100)
    assert q.question("kids").number_min == 1
    assert q.question("pets").max_selections == 2
    assert q.question("nolabel").title == en("nolabel")
    assert (q.question("slider").type, q.question("slider").scale_min, q.question("slider").scale_max) == (
        QuestionType.RATING, 1, 10)
    assert q.title == en("pets")


def test_relevant_required_nested_groups_notes_and_languages():
    data = workbook(
        [("type", "name", "label::中文", "label::English (en)", "required", "relevant", "appearance", "parameters"),
         ("note", "intro", "欢迎", "Welcome"),
         ("select_one yn", "member", "是否会员", "Member?", "yes", "", "", "randomize=true"),
         ("begin_group", "work", "工作", "Work", "", "${member} = 'yes'", "field-list"),
         ("note", "work_note", "关于工作", "About work"),
         ("integer", "years", "工龄", "Years", "TRUE", "", "", ""),
         ("begin group", "inner", "内部", "Inner", "", "${years} >= 5"),
         ("text", "detail", "详情", "Detail", "${years} > 3", "selected(${member}, 'yes')"),
         ("text", "broken", "坏", "Broken", "", "${years} >> 3"),
         ("text", "later", "后", "Later", "", "${ghost} = 1"),
         ("end group",),
         ("end_group",),
         ("begin group", "empty", "空", "Empty"),
         ("geotrace", "path", "路线", "Path"),
         ("end group",),
         ("select_multiple yn", "loose", "散", "Loose", "", "", "", "randomize=true seed=${years}")],
        [("list name", "name", "label::Chinese (zh)", "label::English (en)"), ("yn", "yes", "是", "Yes"),
         ("yn", "no", "否", "No")],
        [("form_title", "version", "default_language"), ("会员调查", "2016", "Chinese (zh)")],
    )
    result = import_xlsform(data)
    assert result.report == (
        "survey row 2 (type 'note', name 'intro'): note added to the questionnaire's description",
        "survey row 5 (type 'note', name 'work_note'): note added to the description of section 'work'",
        "survey row 7 (type 'begin group', name 'inner'): group inside a group; its questions are kept in section "
        "'work' and its label is not shown",
        "survey row 8 (type 'text', name 'detail'): required '${years} > 3' is not yes or no; the question is "
        "optional",
        "survey row 9 (type 'text', name 'broken'): relevant '${years} >> 3' not understood (character 11: "
        "expected a question like ${q1}, a number or quoted text after '>', found '>'); imported without the "
        "condition, so it is always shown",
        "survey row 10 (type 'text', name 'later'): relevant refers to ghost, which is not an earlier imported "
        "question; imported without the condition, so it is always shown",
        "survey row 13 (type 'begin group', name 'empty'): the group has no question Kaimen could import; "
        "no section made",
        "survey row 14 (type 'geotrace', name 'path'): Kaimen has no location question; not imported",
        "survey row 16 (type 'select_multiple yn', name 'loose'): parameter seed=${years} ignored",
        "settings version '2016' ignored",
    )
    q = result.questionnaire
    assert q.title == L("会员调查", "")
    assert q.description == L("欢迎", "Welcome")
    assert q.languages == ("zh", "en")
    assert [s.id for s in q.sections] == ["page1", "work", "page2"]
    work = q.section("work")
    assert (work.title, work.description, work.show_if) == (L("工作", "Work"), L("关于工作", "About work"),
                                                            Compare("member", "eq", "yes"))
    assert q.question("member").required and q.question("member").shuffle
    assert q.question("years").required
    assert q.question("detail").show_if == And((Compare("years", "ge", 5), Selected("member", "yes")))
    assert q.question("broken").show_if == Compare("years", "ge", 5)
    assert q.question("later").show_if is None
    assert q.question("loose").shuffle


def test_plain_label_column_is_read_as_chinese_when_it_holds_chinese():
    result = import_xlsform(workbook([("type", "name", "label"), ("text", "q1", "姓名")]))
    assert next(result.questionnaire.questions()).title == L("姓名", "")
    assert result.questionnaire.languages == ("zh",)


@pytest.mark.parametrize(("tag", "language"), [
    ("English (en)", "en"), ("english", "en"), ("Chinese (zh)", "zh"), ("中文", "zh"), ("zh-CN", None),
    ("Chinese (zh-Hans)", "zh"), ("French (fr)", None), ("Deutsch", None)])
def test_language_of_column_tags(tag, language):
    assert language_of(tag) == language


# --------------------------------------------------------------------------- refusals

def test_a_form_without_importable_questions_is_refused_with_reasons():
    data = workbook([("type", "name", "label"), ("geopoint", "loc", "Where?"), ("calculate", "c", "")])
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(data)
    assert caught.value.reasons == (
        "no question could be imported",
        "survey row 2 (type 'geopoint', name 'loc'): Kaimen has no location question; not imported",
        "survey row 3 (type 'calculate', name 'c'): Kaimen has no calculated fields; not imported",
    )
    assert str(caught.value).startswith("the spreadsheet was not imported: no question could be imported; ")


@pytest.mark.parametrize(
    ("survey", "reasons"),
    [
        ([("type", "name", "label"), ("begin group", "g", "G"), ("text", "a", "A")],
         ("survey row 2 (type 'begin group', name 'g'): this group is never closed with 'end group'",)),
        ([("type", "name", "label"), ("text", "a", "A"), ("end group",)],
         ("survey row 3 (type 'end group'): 'end group' without a matching 'begin group'",)),
        ([("kind", "name", "label"), ("text", "a", "A")], ("the survey sheet has no 'type' column in its first row",)),
        ([("type", "label"), ("text", "A")], ("the survey sheet has no 'name' column in its first row",)),
    ],
)
def test_malformed_structure_is_refused(survey, reasons):
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(workbook(survey))
    assert caught.value.reasons == reasons


def test_workbook_without_survey_sheet():
    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(buffer.getvalue())
    assert caught.value.reasons == ("the workbook has no 'survey' sheet (its sheets: 'Sheet1')",)


def test_malformed_bytes_are_refused():
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(b"type,name,label\ntext,a,A\n")
    assert caught.value.reasons == ("this is not an .xlsx workbook (it is not a zip package)",)
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert caught.value.reasons == (
        "this is an old-style .xls file or an encrypted workbook; save it as an .xlsx workbook",)
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(_zip_with({"hello.txt": b"hi"}))
    assert caught.value.reasons == (
        "the package has no workbook part (xl/workbook.xml); is it really an .xlsx file?",)


def _zip_with(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, content in parts.items():
            package.writestr(name, content)
    return out.getvalue()


def test_damaged_workbook_xml_is_refused():
    data = _zip_with({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<not-closed"})
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(data)
    [reason] = caught.value.reasons
    assert reason.startswith("the workbook cannot be read: ")


def test_macro_bearing_workbook_is_refused():
    data = with_extra_part(workbook([("type", "name", "label"), ("text", "a", "A")]), "xl/vbaProject.bin")
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(data)
    assert caught.value.reasons == (
        "the workbook contains macros (vbaProject.bin); save it as a plain .xlsx without macros",)


def test_externally_linked_workbook_is_refused():
    data = with_extra_part(workbook([("type", "name", "label"), ("text", "a", "A")]),
                           "xl/externalLinks/externalLink1.xml", b"<externalLink/>")
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(data)
    assert caught.value.reasons == (
        "the workbook links to other files (external links); remove the links and save again",)


def test_oversized_file_is_refused_before_reading(tmp_path):
    data = workbook([("type", "name", "label"), ("text", "a", "A")])
    path = tmp_path / "big.xlsx"
    path.write_bytes(data)
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(path, max_bytes=1000)
    assert caught.value.reasons == (f"the file is {len(data)} bytes; the limit is 1000 bytes",)
    with pytest.raises(XLSFormError):
        import_xlsform(data, max_bytes=1000)


def test_row_and_column_caps():
    rows = [("type", "name", "label")] + [("text", f"q{i}", "Q") for i in range(6)]
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(workbook(rows), max_rows=5)
    assert caught.value.reasons == ("sheet 'survey' has more than 5 filled rows",)
    wide = [("type", "name", "label") + tuple(f"c{i}" for i in range(10)), ("text", "a", "A")]
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(workbook(wide), max_columns=8)
    assert caught.value.reasons == ("sheet 'survey' row 1 has more than 8 columns",)


def test_refuses_to_run_without_defusedxml(monkeypatch):
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(workbook([("type", "name", "label"), ("text", "a", "A")]))
    assert caught.value.reasons == ("defusedxml is not installed, so spreadsheets cannot be read safely",)


def test_missing_file(tmp_path):
    with pytest.raises(XLSFormError, match="the file cannot be read: No such file or directory"):
        import_xlsform(tmp_path / "nope.xlsx")


# --------------------------------------------------------------------------- export

def every_type() -> Questionnaire:
    def opts(*ids):
        return tuple(Option(i, L(f"选{i}", f"opt {i}")) for i in ids)

    return Questionnaire(
        title=L("职工需求问卷", "Member needs"), description=L("说明", "About"), anonymous=True,
        sections=(
            Section("about", L("基本情况", "About you"), L("请如实填写", "Please answer"), questions=(
                Question("gender", QuestionType.SINGLE_CHOICE, L("性别", "Gender"), required=True,
                         options=opts("m", "f") + (Option("other", L("其他", "Other"), True),)),
                Question("age", QuestionType.NUMBER, L("年龄", "Age"), number_min=16, number_max=100),
                Question("income", QuestionType.NUMBER, L("收入", "Income"), integer=False, number_min=0.5,
                         help=L("万元", "10k yuan")),
                Question("joined", QuestionType.DATE, L("入会日期", "Joined")),
            )),
            Section("needs", L("需求", "Needs"), show_if=parse("${age} > 17 or ${gender} != ''"), questions=(
                Question("needs", QuestionType.MULTIPLE_CHOICE, L("需求", "Needs"),
                         options=opts("a", "b", "c", "d") + (Option("x", L("其他", "Other"), True),),
                         min_selections=1, max_selections=3, shuffle=True),
                Question("sat", QuestionType.RATING, L("满意度", "Satisfaction"), scale_min=0, scale_max=10,
                         scale_min_label=L("很差", "Poor"), scale_max_label=L("很好", "Great"),
                         show_if=parse("${age} >= 30 and selected(${needs}, 'a')")),
                Question("grid", QuestionType.MATRIX, L("评价", "Rate"), required=True, help=L("每行一个", "One each"),
                         rows=(MatrixRow("r1", L("甲", "A")), MatrixRow("r2", L("乙", "B"))),
                         scale_min_label=L("差", "bad"), show_if=parse("selected('a b', ${needs})")),
                Question("rank", QuestionType.RANKING, L("排序", "Rank"), options=opts("a", "b", "c"), rank_top=2,
                         shuffle=True),
                Question("remark", QuestionType.SHORT_TEXT, L("=备注", "=Note"), max_length=50,
                         show_if=parse("not(${gender} = 'm')")),
                Question("story", QuestionType.LONG_TEXT, L("故事", "Story"), max_length=2000),
            )),
        ))


def test_export_then_import_gives_the_same_questionnaire():
    original = every_type()
    result = import_xlsform(export_xlsform(original))
    assert result.questionnaire == original
    assert result.report == (
        "survey row 2 (type 'note', name 'description'): note added to the questionnaire's description",
        "survey row 4 (type 'note', name 'about_description'): note added to the description of section 'about'",
    )


def test_export_round_trip_of_the_sample_questionnaire():
    original = make_questionnaire()
    assert import_xlsform(export_xlsform(original)).questionnaire == original


def test_export_writes_standard_xlsform_columns():
    book = openpyxl.load_workbook(io.BytesIO(export_xlsform(every_type())))
    survey = [tuple(c if c is not None else "" for c in row) for row in book["survey"].iter_rows(values_only=True)]
    header = survey[0]
    rows = {row[header.index("name")]: dict(zip(header, row)) for row in survey[1:] if row[1]}
    assert rows["gender"]["type"] == "select_one gender"
    assert rows["needs"]["constraint"] == "count-selected(.) >= 1 and count-selected(.) <= 3"
    assert rows["needs"]["parameters"] == "randomize=true"
    assert rows["sat"]["type"] == "range" and rows["sat"]["parameters"] == "start=0 end=10 step=1"
    assert rows["sat"]["relevant"] == "${age} >= 30 and selected(${needs}, 'a')"
    assert rows["income"]["constraint"] == ". >= 0.5"
    assert rows["grid"]["kaimen_type"] == "matrix" and rows["grid_r1"]["type"] == "range"
    assert rows["story"]["appearance"] == "multiline"
    assert rows["remark"]["label::English (en)"] == "=Note"  # text, not a formula
    assert book["survey"]["C" + str(survey.index(next(r for r in survey if r[1] == "remark")) + 1)].data_type == "s"
    assert [r for r in book["settings"].iter_rows(values_only=True)][1][:2] == ("职工需求问卷", "Chinese (zh)")
