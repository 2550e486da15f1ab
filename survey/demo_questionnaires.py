"""The demo scenario's questionnaires, written as form definitions.

``needs_questionnaire()`` is the 2016 member-needs survey of the seeds
(《西城区职工需求调查问卷》, 25 questions on three aspects of members' work and
life). **Count: 25 questions in all, numbered 1-25 across the whole form —
6 demographic questions on the opening page "基本情况" (About you: sub-district,
unit kind, industry, age band, gender, tenure; each carries its demographic
tag) and 19 questions in the three aspects: 工作与权益 Work and rights (5),
生活与家庭 Life and family (6) and 工会服务 Union services (8).** Four of the
questions are conditional follow-ups:

- ``overtime_paid`` when ``overtime_hours`` > 10;
- ``hardship_kind`` when "hardship assistance" is among the wanted ``needs``;
- ``training_topic`` when "skills training" is among the wanted ``needs``;
- ``home_why`` when the workers' home is rated 2 or lower (``home_rating`` <= 2).

``chair_satisfaction_questionnaire()`` is the members' satisfaction rating of
their union chair (满意度测评), as Shichahai ran it for its enterprise unions:
the union being rated, eight rating and matrix questions, one choice and an
open comment.

Both are anonymous, in Chinese and English, and pass
``forms.questionnaire.checks.publish_problems``. Option ids of the needs
questionnaire are the codes the synthetic responses (``survey.demo_responses``)
are built on: sub-district codes from ``survey.demo_data``, industries and unit
kinds spelt like the demo units' ``industry`` (spaces as underscores) and
``UnitKind`` values.
"""

from __future__ import annotations

from forms.questionnaire.spec import Questionnaire
from survey import demo_data

# --------------------------------------------------------------------------- shared option lists

#: Sub-district options: (code, name). Codes are those of ``demo_data.SUB_DISTRICTS``.
SUB_DISTRICT_OPTIONS = tuple(
    (code, zh.removesuffix("总工会"), en.removesuffix(" Federation"))
    for code, zh, en in demo_data.SUB_DISTRICTS
)

#: Unit kinds, ids as ``survey.models.UnitKind`` values.
UNIT_KIND_OPTIONS = (
    ("enterprise", "企业工会", "Enterprise union"),
    ("community_joint", "社区联合工会", "Community joint union"),
    ("industry_joint", "行业或楼宇联合工会", "Industry or office-building joint union"),
    ("bureau", "机关事业单位（委办局）工会", "Government bureau union"),
    ("directly_affiliated", "区总工会直属基层工会", "Union directly affiliated to the district federation"),
)

#: Industries, ids as the demo units' ``industry`` with spaces turned into underscores.
INDUSTRY_OPTIONS = (
    ("commerce", "商贸零售", "Commerce and retail"),
    ("catering", "餐饮服务", "Catering"),
    ("property_services", "物业服务", "Property services"),
    ("information_technology", "信息技术", "Information technology"),
    ("finance", "金融", "Finance"),
    ("wedding_services", "婚庆服务", "Wedding services"),
    ("culture", "文化艺术", "Culture and the arts"),
    ("health", "医疗卫生", "Health care"),
    ("education", "教育", "Education"),
    ("sanitation", "环境卫生", "Sanitation"),
    ("community_services", "社区服务", "Community services"),
    ("public_administration", "公共管理", "Public administration"),
)

AGE_BAND_OPTIONS = (
    ("under25", "25岁以下", "Under 25"),
    ("25-34", "25-34岁", "25 to 34"),
    ("35-44", "35-44岁", "35 to 44"),
    ("45-54", "45-54岁", "45 to 54"),
    ("55plus", "55岁及以上", "55 or older"),
)

#: Services a member may want from the union: asked as a multiple choice (with
#: "other") and again as "rank your top three" (a ranking has no "other").
SERVICE_OPTIONS = (
    ("legal", "法律咨询与援助", "Legal advice and aid"),
    ("training", "职业技能培训", "Vocational skills training"),
    ("hardship", "困难帮扶", "Hardship assistance"),
    ("health_check", "健康体检", "Health checks"),
    ("childcare", "子女托管与课后服务", "Childcare and after-school care"),
    ("eldercare", "养老照护支持", "Support in caring for elderly relatives"),
    ("culture", "文体活动", "Cultural and sports activities"),
    ("social", "青年交友联谊", "Social events for young members"),
    ("insurance", "职工互助保险", "Members' mutual insurance"),
    ("counselling", "心理咨询与疏导", "Psychological counselling"),
)

SATISFIED = {"scale_min": 1, "scale_max": 5,
             "scale_min_label": {"zh": "非常不满意", "en": "Very dissatisfied"},
             "scale_max_label": {"zh": "非常满意", "en": "Very satisfied"}}


def _text(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


def _options(triples, *, other: bool = False) -> list[dict]:
    """Option dicts from (id, Chinese, English); ``other`` appends "other, please specify"."""
    options = [{"id": oid, "label": _text(zh, en)} for oid, zh, en in triples]
    if other:
        options.append({"id": "other", "label": _text("其他（请注明）", "Other (please specify)"), "is_other": True})
    return options


# --------------------------------------------------------------------------- member needs

def needs_questionnaire() -> Questionnaire:
    """《西城区职工需求调查问卷》: 25 questions (6 demographic + 19 in three aspects)."""
    return Questionnaire.from_dict({
        "title": _text("西城区职工需求调查问卷", "Xicheng District Member Needs Survey"),
        "description": _text(
            "为了解全区职工在工作和生活中最关心的问题和最希望得到的服务，区总工会开展本次问卷调查。"
            "问卷不记名，约需10分钟，结果仅用于统计分析。感谢您的参与！",
            "The district federation asks members what matters most to them at work and at home and which "
            "services they most want from the union. The survey is anonymous, takes about ten minutes, and the "
            "results are used only in aggregate. Thank you for taking part!"),
        "anonymous": True,
        "sections": [
            {
                "id": "profile",
                "title": _text("基本情况", "About you"),
                "description": _text("以下信息仅用于分类统计。", "Used only to break the results down by group."),
                "questions": [
                    {"id": "sub_district", "type": "single_choice", "required": True, "demographic": "sub_district",
                     "title": _text("您的工作单位位于哪个街道？", "In which sub-district is your workplace?"),
                     "options": _options(SUB_DISTRICT_OPTIONS)},
                    {"id": "unit_kind", "type": "single_choice", "required": True, "demographic": "unit_kind",
                     "title": _text("您所在的工会属于哪一类？", "What kind of union do you belong to?"),
                     "options": _options(UNIT_KIND_OPTIONS, other=True)},
                    {"id": "industry", "type": "single_choice", "required": True, "demographic": "industry",
                     "title": _text("您所在单位属于哪个行业？", "Which industry is your employer in?"),
                     "options": _options(INDUSTRY_OPTIONS, other=True)},
                    {"id": "age_band", "type": "single_choice", "required": True, "demographic": "age_band",
                     "title": _text("您的年龄", "Your age"),
                     "options": _options(AGE_BAND_OPTIONS)},
                    {"id": "gender", "type": "single_choice", "required": True, "demographic": "gender",
                     "title": _text("您的性别", "Your gender"),
                     "options": _options((("male", "男", "Male"), ("female", "女", "Female")))},
                    {"id": "tenure", "type": "single_choice", "demographic": "other",
                     "title": _text("您在本单位工作了多长时间？",
                                    "How long have you worked for your present employer?"),
                     "options": _options((
                         ("lt1", "不满1年", "Less than a year"),
                         ("1-3", "1-3年", "1 to 3 years"),
                         ("3-5", "3-5年", "3 to 5 years"),
                         ("5-10", "5-10年", "5 to 10 years"),
                         ("10plus", "10年以上", "More than 10 years"),
                     ))},
                ],
            },
            {
                "id": "work",
                "title": _text("工作与权益", "Work and rights"),
                "questions": [
                    {"id": "contract", "type": "single_choice", "required": True,
                     "title": _text("您目前与单位是哪种用工关系？", "What is your employment arrangement?"),
                     "options": _options((
                         ("open_ended", "无固定期限劳动合同", "Open-ended labour contract"),
                         ("fixed_term", "固定期限劳动合同", "Fixed-term labour contract"),
                         ("dispatch", "劳务派遣", "Agency (dispatched) work"),
                         ("civil_service", "公务员或事业单位编制", "Civil service or public-institution post"),
                         ("none", "未签订书面劳动合同", "No written contract"),
                         ("unsure", "不清楚", "Not sure"),
                     ))},
                    {"id": "overtime_hours", "type": "number", "required": True, "integer": True,
                     "number_min": 0, "number_max": 80,
                     "title": _text("过去一个月，您平均每周加班多少小时？",
                                    "In the past month, how many hours of overtime did you work in an average week?"),
                     "help": _text("没有加班请填 0。", "Enter 0 if you worked no overtime.")},
                    {"id": "overtime_paid", "type": "single_choice", "required": True,
                     "show_if": "${overtime_hours} > 10",
                     "title": _text("您的加班通常如何得到补偿？", "How is your overtime usually compensated?"),
                     "options": _options((
                         ("paid", "按规定支付加班费", "Paid at the statutory overtime rate"),
                         ("time_off", "安排补休", "Time off in lieu"),
                         ("partly", "只补偿一部分", "Only partly compensated"),
                         ("unpaid", "没有任何补偿", "Not compensated at all"),
                     ))},
                    {"id": "work_satisfaction", "type": "matrix", "required": True, **SATISFIED,
                     "title": _text("您对工作中以下方面的满意程度如何？",
                                    "How satisfied are you with these aspects of your work?"),
                     "rows": [
                         {"id": "wage", "label": _text("工资收入水平", "Level of pay")},
                         {"id": "on_time", "label": _text("工资按时足额发放", "Pay arriving on time and in full")},
                         {"id": "hours", "label": _text("工作时间与休息休假", "Working hours, rest days and leave")},
                         {"id": "safety", "label": _text("劳动安全卫生条件", "Health and safety at work")},
                         {"id": "training", "label": _text("培训与晋升机会", "Training and promotion")},
                         {"id": "insurance", "label": _text("社会保险缴纳", "Social insurance contributions")},
                     ]},
                    {"id": "rights_problems", "type": "multiple_choice", "min_selections": 1, "max_selections": 3,
                     "title": _text("近一年，您在工作中遇到过以下哪些问题？（最多选3项）",
                                    "In the past year, which of these problems have you met at work? (Up to 3)"),
                     "help": _text("选“都没有遇到”时请不要再选其他项。",
                                   "If you choose \u201cNone of these\u201d, leave the others unticked."),
                     "options": _options((
                         ("arrears", "拖欠工资", "Wages paid late or not at all"),
                         ("unpaid_overtime", "加班没有报酬", "Unpaid overtime"),
                         ("no_contract", "不签或不续签劳动合同", "No contract, or contract not renewed"),
                         ("insurance", "未足额缴纳社会保险", "Social insurance not fully paid"),
                         ("safety", "存在安全隐患", "Safety hazards"),
                         ("leave", "不能享受带薪年休假", "No paid annual leave"),
                         ("none", "都没有遇到", "None of these"),
                     ), other=True)},
                ],
            },
            {
                "id": "life",
                "title": _text("生活与家庭", "Life and family"),
                "questions": [
                    {"id": "housing", "type": "single_choice", "required": True,
                     "title": _text("您目前的居住情况", "Where do you live at present?"),
                     "options": _options((
                         ("own", "自有住房", "In a home I own"),
                         ("family", "与父母或亲属同住", "With parents or relatives"),
                         ("rent", "租房", "In rented housing"),
                         ("dorm", "单位宿舍", "In an employer's dormitory"),
                     ), other=True)},
                    {"id": "commute", "type": "single_choice", "required": True,
                     "title": _text("您单程上下班通常需要多长时间？",
                                    "How long is your usual journey to work, one way?"),
                     "options": _options((
                         ("lt30", "30分钟以内", "Under 30 minutes"),
                         ("30-60", "30分钟至1小时", "30 minutes to an hour"),
                         ("60-90", "1小时至1个半小时", "An hour to an hour and a half"),
                         ("gt90", "1个半小时以上", "More than an hour and a half"),
                     ))},
                    {"id": "care_burden", "type": "multiple_choice", "required": True,
                     "min_selections": 1, "max_selections": 3,
                     "title": _text("您家中目前有哪些需要您照料的人？",
                                    "Whom do you have to care for at home at present?"),
                     "options": _options((
                         ("preschool_child", "学龄前子女", "Pre-school children"),
                         ("school_child", "中小学生子女", "School-age children"),
                         ("elderly", "需要照料的老人", "Elderly relatives who need care"),
                         ("ill", "患病或残疾的家庭成员", "A family member who is ill or disabled"),
                         ("none", "没有", "No one"),
                     ))},
                    {"id": "health_checkup", "type": "single_choice",
                     "title": _text("您最近一次体检是什么时候？", "When did you last have a health check?"),
                     "options": _options((
                         ("within1", "一年以内", "Within the past year"),
                         ("1-2", "一到两年前", "One to two years ago"),
                         ("over2", "两年以前", "More than two years ago"),
                         ("never", "从未体检", "Never"),
                     ))},
                    {"id": "family_finance", "type": "single_choice", "required": True,
                     "title": _text("您家庭目前的经济状况如何？", "How is your household managing financially?"),
                     "options": _options((
                         ("comfortable", "比较宽裕", "Comfortably"),
                         ("balanced", "收支基本平衡", "We make ends meet"),
                         ("tight", "比较紧张", "It is tight"),
                         ("difficult", "生活困难", "We are in hardship"),
                     ))},
                    {"id": "life_pressure", "type": "rating", "required": True, "scale_min": 1, "scale_max": 5,
                     "scale_min_label": _text("几乎没有压力", "Hardly any pressure"),
                     "scale_max_label": _text("压力很大", "Very heavy pressure"),
                     "title": _text("总体来看，您目前的生活压力有多大？",
                                    "Overall, how much pressure is there in your life now?")},
                ],
            },
            {
                "id": "services",
                "title": _text("工会服务", "Union services"),
                "questions": [
                    {"id": "needs", "type": "multiple_choice", "required": True,
                     "min_selections": 1, "max_selections": 5,
                     "title": _text("您希望工会为您提供哪些服务？（最多选5项）",
                                    "Which services would you like the union to offer you? (Up to 5)"),
                     "options": _options(SERVICE_OPTIONS, other=True)},
                    {"id": "hardship_kind", "type": "single_choice", "required": True,
                     "show_if": "selected(${needs}, 'hardship')",
                     "title": _text("您或您的家庭主要面临哪方面的困难？",
                                    "What is the main hardship you or your family face?"),
                     "options": _options((
                         ("illness", "本人或家人患重病", "Serious illness of mine or a relative's"),
                         ("low_income", "收入低，难以维持生活", "Income too low to live on"),
                         ("housing", "住房困难", "Housing"),
                         ("schooling", "子女教育支出大", "The cost of children's education"),
                         ("jobless", "家庭成员失业", "A family member out of work"),
                         ("accident", "意外事故或灾害", "An accident or disaster"),
                     ), other=True)},
                    {"id": "training_topic", "type": "short_text", "max_length": 100,
                     "show_if": "selected(${needs}, 'training')",
                     "title": _text("您最希望参加哪方面的技能培训？",
                                    "Which skills would you most like to be trained in?")},
                    {"id": "top_services", "type": "ranking", "required": True, "rank_top": 3,
                     "title": _text("请选出您最需要的三项服务，并按重要程度排序",
                                    "Choose the three services you need most, most important first"),
                     "options": _options(SERVICE_OPTIONS)},
                    {"id": "home_rating", "type": "rating", **SATISFIED,
                     "title": _text("您对本单位“职工之家”建设的满意程度如何？",
                                    "How satisfied are you with your union's \u201cworkers' home\u201d?"),
                     "help": _text("本单位尚未建家的可不作答。",
                                   "Leave this blank if your union has no workers' home.")},
                    {"id": "home_why", "type": "long_text", "max_length": 1000,
                     "show_if": "${home_rating} <= 2",
                     "title": _text("您对“职工之家”不满意的主要原因是什么？有什么改进建议？",
                                    "What are you dissatisfied with in the workers' home, and what should change?")},
                    {"id": "channels", "type": "multiple_choice", "required": True,
                     "min_selections": 1, "max_selections": 3,
                     "title": _text("您希望通过哪些渠道了解工会信息、申请工会服务？（最多选3项）",
                                    "How would you like to hear from the union and apply for its services? (Up to 3)"),
                     "options": _options((
                         ("internet_plus", "工会“互联网+”服务平台",
                          "The union's \u201cInternet+\u201d service platform"),
                         ("wechat", "工会微信公众号", "The union's WeChat account"),
                         ("app", "职工服务手机客户端", "The members' mobile app"),
                         ("station", "街道工会服务站", "The sub-district union service station"),
                         ("union_officer", "本单位工会干部", "Union officers at my workplace"),
                         ("hotline", "12351职工服务热线", "The 12351 members' hotline"),
                         ("print", "宣传栏和印刷材料", "Notice boards and printed material"),
                     ))},
                    {"id": "joined_on", "type": "date",
                     "title": _text("您是什么时候加入工会的？", "When did you join the union?"),
                     "help": _text("记不清具体日期的，填写大致日期即可。", "An approximate date is fine.")},
                ],
            },
        ],
    })


# --------------------------------------------------------------------------- chair satisfaction

def _shichahai_enterprise_unions() -> tuple[tuple[str, str, str], ...]:
    """Shichahai's enterprise unions as (code, Chinese, English): their members rated their chairs."""
    code, zh, en = next(sd for sd in demo_data.SUB_DISTRICTS if sd[0] == "SCH")
    short_zh, short_en = zh.removesuffix("街道总工会"), en.removesuffix(" Sub-district Federation")
    return tuple(
        (f"{code}-{suffix}", pattern_zh.format(sd=short_zh), pattern_en.format(sd_en=short_en))
        for suffix, pattern_zh, pattern_en, _industry in demo_data.ENTERPRISE_TEMPLATES
    )


def chair_satisfaction_questionnaire() -> Questionnaire:
    """《基层工会主席满意度测评表》: members rate their union chair (11 questions)."""
    agree = {"scale_min": 1, "scale_max": 5,
             "scale_min_label": _text("完全不同意", "Strongly disagree"),
             "scale_max_label": _text("完全同意", "Strongly agree")}
    return Questionnaire.from_dict({
        "title": _text("基层工会主席满意度测评表", "Members' Satisfaction Rating of their Union Chair"),
        "description": _text(
            "请根据您的实际感受，对本单位工会主席一年来的工作进行评价。测评不记名。",
            "Please rate the work of your union's chair over the past year as you have experienced it. "
            "The rating is anonymous."),
        "anonymous": True,
        "sections": [
            {
                "id": "about",
                "title": _text("测评对象", "Whose chair you rate"),
                "questions": [
                    {"id": "unit", "type": "single_choice", "required": True, "demographic": "other",
                     "title": _text("您所在的工会", "Your union"),
                     "options": _options(_shichahai_enterprise_unions(), other=True)},
                ],
            },
            {
                "id": "rating",
                "title": _text("满意度测评", "Satisfaction"),
                "questions": [
                    {"id": "overall", "type": "rating", "required": True, **SATISFIED,
                     "title": _text("您对本单位工会主席工作的总体满意度",
                                    "Overall, how satisfied are you with your chair's work?")},
                    {"id": "duties", "type": "matrix", "required": True, **SATISFIED,
                     "title": _text("您对工会主席以下几方面工作的满意度",
                                    "How satisfied are you with your chair's work on each of these?"),
                     "rows": [
                         {"id": "contact", "label": _text("深入职工、听取意见",
                                                          "Keeping in touch with members and listening")},
                         {"id": "rights", "label": _text("维护职工合法权益", "Defending members' lawful rights")},
                         {"id": "democracy", "label": _text("推进厂务公开和民主管理",
                                                            "Open management and workplace democracy")},
                         {"id": "hardship", "label": _text("关心帮扶困难职工", "Helping members in hardship")},
                         {"id": "activities", "label": _text("组织文体活动", "Cultural and sports activities")},
                         {"id": "funds", "label": _text("工会经费使用公开透明", "Open use of union funds")},
                     ]},
                    {"id": "reachable", "type": "rating", "required": True, "scale_min": 1, "scale_max": 5,
                     "scale_min_label": _text("很难找到", "Very hard to reach"),
                     "scale_max_label": _text("随时能找到", "Always easy to reach"),
                     "title": _text("遇到问题时，您能方便地找到工会主席反映吗？",
                                    "When you have a problem, can you easily reach the chair to raise it?")},
                    {"id": "feedback", "type": "rating", "required": True, "scale_min": 1, "scale_max": 5,
                     "scale_min_label": _text("从不答复", "Never answers"),
                     "scale_max_label": _text("总是及时答复", "Always answers promptly"),
                     "title": _text("工会主席对职工意见和建议的答复是否及时？",
                                    "Does the chair answer members' concerns and suggestions promptly?")},
                    {"id": "bargaining", "type": "rating", "required": True, **SATISFIED,
                     "title": _text("您对工会主席在工资集体协商中为职工争取利益的表现是否满意？",
                                    "How satisfied are you with how the chair stood up for members in collective "
                                    "wage bargaining?")},
                    {"id": "integrity", "type": "rating", "required": True, **agree,
                     "title": _text("工会主席处事公道、作风廉洁", "The chair is fair and honest")},
                    {"id": "home", "type": "rating", "required": True, **SATISFIED,
                     "title": _text("您对本单位“职工之家”建设的满意度（会员评家）",
                                    "How satisfied are you with your union's \u201cworkers' home\u201d?")},
                    {"id": "support", "type": "rating", "required": True, "scale_min": 0, "scale_max": 10,
                     "scale_min_label": _text("完全不支持", "Not at all"),
                     "scale_max_label": _text("完全支持", "Fully"),
                     "title": _text("您在多大程度上支持这位主席继续担任工会主席？",
                                    "How far would you support this chair staying in office?")},
                    {"id": "compared", "type": "single_choice", "required": True,
                     "title": _text("与去年相比，本单位工会工作有什么变化？",
                                    "Compared with last year, how has your union's work changed?"),
                     "options": _options((
                         ("better", "有改进", "It has improved"),
                         ("same", "没有变化", "No change"),
                         ("worse", "变差了", "It has got worse"),
                         ("unsure", "说不清", "Hard to say"),
                     ))},
                ],
            },
            {
                "id": "comments",
                "title": _text("意见建议", "Comments"),
                "questions": [
                    {"id": "comment", "type": "long_text", "max_length": 2000,
                     "title": _text("您对工会主席和工会工作还有哪些意见和建议？",
                                    "Any other comments or suggestions for the chair and the union?")},
                ],
            },
        ],
    })
