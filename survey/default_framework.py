"""The seeds' framework: ten areas, four criteria each, as a district federation writes its
目标管理考核细则 for its directly affiliated grassroots unions.

The article on the 2014 open-door scoring (开门打分) names nine of the ten areas. The tenth,
职工之家建设 (building the workers' home), is ours: the same article puts 建家 beside 建会
throughout ("建会、建家工作的统筹发展", 1,623 unions built as "会站家" in one, Shichahai's
会员评家), and a workers' home is a standing item of every grassroots union's target
assessment, distinct from 自身建设 (the union's committees, members and rules).

Each area weighs 10 of the 100 points and its criteria's maxima add up to 10 (3 + 3 + 2 + 2),
so the points a representative gives are the points in the total. Every criterion is scored in
steps of 0.5 and says what earns full, partial and no points, in terms a rater can check on the
spot (a signed contract, a filing receipt, a rate). Everything here is editable: this is only
the starting point the demo and new frameworks copy.
"""

from __future__ import annotations

import copy

#: Code of the framework the demo loads (``survey.services.frameworks.load_default_framework``).
DEFAULT_CODE = "xicheng-2014"
DEFAULT_NAME = "西城区总工会直属基层工会目标管理考核细则（2014年）"

_TITLE = (
    "西城区总工会直属基层工会工作目标管理考核细则（2014年）",
    ("Xicheng District Federation of Trade Unions: target-management assessment rules for "
    "directly affiliated grassroots unions (2014)"),
)

# (code, title zh, title en, [(code, max, title zh, title en, full, partial, none)]), each of
# full/partial/none a (zh, en) pair.
_AREAS = [
    ("A01", "依法维权", "Protecting workers' rights under the law", [
        ("A01.1", 3,
         "签订集体合同和工资专项集体协议并报送备案",
         "Collective contract and wage agreement signed and filed",
         ("本年度集体合同和工资专项集体协议均在有效期内，经职工代表大会或职工大会审议通过，并报人力社保部门审查备案，能出示备案回执。",
          ("Both the collective contract and the special collective wage agreement are in force this year, were "
          "adopted by the workers' congress (or general meeting) and were filed with the human resources and "
          "social security bureau; the filing receipt can be shown.")),
         ("已签订集体合同或工资专项集体协议，但缺少其中一项，或未经职代会审议，或未报送备案。",
          ("A contract or wage agreement is signed, but one of the two is missing, or it was not put to the "
          "workers' congress, or it was not filed.")),
         ("未签订集体合同和工资专项集体协议，或合同已过期未续签。",
          "Neither is signed, or the contract has expired and was not renewed.")),
        ("A01.2", 3,
         "督促单位与职工依法签订劳动合同，签订率达到100%",
         "Employment contracts signed with every worker, checked by the union",
         ("劳动合同签订率100%，工会有年度监督检查记录。",
          "Every worker has a signed employment contract and the union has a record of its annual check."),
         ("签订率达到95%以上但不足100%，或签订率100%但工会没有监督检查记录。",
          ("95% or more but not all workers have a signed contract, or all do but the union kept no record of "
          "checking.")),
         ("签订率低于95%，或工会未开展任何监督。",
          "Fewer than 95% have a signed contract, or the union did no checking at all.")),
        ("A01.3", 2,
         "建立劳动争议调解委员会（小组），调解制度健全，案件有台账",
         "Labour-dispute mediation committee set up, with written rules and a case log",
         ("调解组织健全、制度上墙，每起争议均有登记、调解记录和处理结果。",
          ("The committee is in place, its rules are posted, and every dispute has an entry, mediation notes "
          "and an outcome.")),
         ("有调解组织，但制度不全或案件台账不完整。",
          "There is a committee, but its rules or its case log are incomplete."),
         ("未建立调解组织。", "No mediation committee.")),
        ("A01.4", 2,
         "畅通职工诉求渠道，反映的问题有登记、有答复、有结果",
         "Channels for workers' complaints and requests, each logged, answered and resolved",
         ("公开诉求信箱、电话或网上渠道，诉求件件登记，按期答复率100%。",
          ("A complaints box, phone line or online channel is published; every request is logged and all are "
          "answered on time.")),
         ("有诉求渠道，但登记不全或部分诉求未按期答复。",
          "A channel exists, but some requests were not logged or not answered on time."),
         ("无诉求渠道，或没有任何登记记录。", "No channel, or no record of any request.")),
    ]),
    ("A02", "自身建设", "Building the union itself", [
        ("A02.1", 3,
         "工会委员会、经费审查委员会、女职工委员会按期换届，选举程序规范",
         ("Union committee, funds audit committee and women workers' committee elected on schedule by the "
         "proper procedure"),
         ("三个委员会均按期换届，选举结果已报上级工会批复。",
          "All three committees were elected on schedule and the higher-level union approved the results."),
         ("已换届但选举结果未报批，或有一个委员会未建立或超期。",
          ("Elections were held but the results were not submitted for approval, or one committee is missing "
          "or overdue.")),
         ("工会委员会超期未换届。", "The union committee's term has expired without an election.")),
        ("A02.2", 3,
         "职工入会率达到95%以上，会员信息动态更新率100%",
         "95% or more of workers are members, and every member's record is kept up to date",
         ("入会率95%以上，会员信息已录入系统并全部及时更新。",
          "Membership is 95% or more and every member's record is entered in the system and up to date."),
         ("入会率90%至95%，或会员信息更新不及时、不完整。",
          "Membership is 90% to 95%, or member records are late or incomplete."),
         ("入会率低于90%，或没有会员信息台账。", "Membership is below 90%, or there is no register of members.")),
        ("A02.3", 2,
         "工会工作制度健全并执行，有年度工作计划和半年总结",
         "Written working rules followed, with an annual plan and a half-year review",
         ("例会、财务、会员代表大会等制度齐全，年度计划和半年总结按时报送，例会有记录。",
          ("Rules for meetings, finances and the members' congress are complete; the annual plan and half-year "
          "review were submitted on time; meetings are minuted.")),
         ("有制度或计划，但执行记录不全，或总结未按时报送。",
          "There are rules or a plan, but records of following them are incomplete, or the review was late."),
         ("无工作制度，也无年度计划。", "Neither working rules nor an annual plan.")),
        ("A02.4", 2,
         "工会主席和工会干部参加上级工会组织的培训，每年不少于一次",
         "Union chair and officers attend training by the higher-level union at least once a year",
         ("工会主席和专兼职工会干部均参加培训，有培训证明。",
          "The chair and all full- and part-time officers attended, with proof of attendance."),
         ("只有部分干部参加培训。", "Only some officers attended."),
         ("无人参加培训。", "Nobody attended.")),
    ]),
    ("A03", "宣传教育", "Publicity and education", [
        ("A03.1", 3,
         "设有工会宣传栏、网页或微信公众号等宣传阵地，每季度更新",
         "A union noticeboard, web page or WeChat account, updated every quarter",
         ("至少有一处宣传阵地，每季度更新，留有照片或截图存档。",
          "At least one outlet, updated every quarter, with photos or screenshots kept."),
         ("有宣传阵地，但更新不定期或没有存档。", "An outlet exists but is updated irregularly, or nothing was kept."),
         ("没有宣传阵地。", "No outlet.")),
        ("A03.2", 3,
         "组织职工学习政策法规、开展技能培训，每年不少于两次",
         "Courses for workers on policy, law and job skills, at least twice a year",
         ("每年组织两次以上，有通知、签到表和照片。", "Two or more sessions a year, with notices, sign-in sheets and photos."),
         ("只组织一次，或资料不全。", "Only one session, or the records are incomplete."),
         ("未组织。", "None held.")),
        ("A03.3", 2,
         "按要求向区总工会报送工作信息，每半年不少于三篇",
         "News of the union's work sent to the district federation, at least three items every six months",
         ("半年报送三篇以上，至少一篇被区总工会采用。",
          "Three or more items in the half-year, at least one published by the district federation."),
         ("报送一至两篇，或三篇以上但均未被采用。", "One or two items, or three or more of which none was published."),
         ("未报送。", "Nothing sent.")),
        ("A03.4", 2,
         "开展职工文化体育活动，并参加区总工会组织的活动",
         "Cultural and sports activities for workers, and taking part in the district federation's events",
         ("自行组织活动至少一次，并参加区总工会组织的活动。",
          "At least one activity of its own, and taking part in a district federation event."),
         ("只做到其中一项。", "Only one of the two."),
         ("两项都没有。", "Neither.")),
    ]),
    ("A04", "安全生产", "Work safety", [
        ("A04.1", 3,
         "建立工会劳动保护监督检查委员会（小组），配备劳动保护监督检查员",
         "A union labour-protection inspection committee (or group) with named inspectors",
         ("已建立组织，配备监督检查员，职责明确并上墙。",
          "The committee exists, has named inspectors, and its duties are written down and posted."),
         ("只配备了监督检查员而未建立组织，或职责不明确。",
          "Inspectors are named but there is no committee, or their duties are unclear."),
         ("既无组织也无监督检查员。", "Neither a committee nor inspectors.")),
        ("A04.2", 3,
         "参与安全隐患排查，每季度至少一次，发现的问题有整改跟踪记录",
         "Takes part in safety-hazard checks at least every quarter and follows each problem up until it is fixed",
         ("每季度都参与排查，每个问题都有整改措施和复查记录。",
          "Checks every quarter; every problem found has a fix and a follow-up record."),
         ("参与了排查但次数不足，或部分问题没有整改跟踪。",
          "Checks were made but not every quarter, or some problems were not followed up."),
         ("未参与隐患排查。", "No checks.")),
        ("A04.3", 2,
         "组织职工安全生产教育和应急（消防）演练，每年至少一次",
         "Safety training and an emergency (fire) drill for workers, at least once a year",
         ("安全教育和应急演练都已开展，有记录和照片。", "Both training and a drill were held, with records and photos."),
         ("只开展了其中一项。", "Only one of the two."),
         ("都未开展。", "Neither.")),
        ("A04.4", 2,
         "参加“安康杯”竞赛等群众性安全生产活动，年内未发生负有责任的重大安全事故",
         ("Takes part in the \"Ankang Cup\" workplace-safety competition, with no serious accident for which the "
         "unit is to blame"),
         ("报名参加并按要求开展竞赛活动，年内未发生负有责任的安全事故。",
          ("Entered and ran the competition's activities as required; no accident for which the unit is to blame "
          "this year.")),
         ("参加了竞赛但活动资料不全。", "Entered, but the records of the activities are incomplete."),
         ("未参加，或发生负有责任的重大安全事故。",
          "Did not take part, or had a serious accident for which the unit is to blame.")),
    ]),
    ("A05", "民主管理", "Democratic management", [
        ("A05.1", 3,
         "坚持职工代表大会制度，每年至少召开一次，审议涉及职工切身利益的重大事项",
         "Workers' congress held at least once a year and consulted on matters that affect workers directly",
         ("按时召开，程序规范，对工资、福利等重大事项作出决议。",
          "Held on time by the proper procedure, with resolutions on pay, benefits and other major matters."),
         ("召开了，但未审议重大事项或会议资料不全。",
          "Held, but no major matter was put to it, or the records are incomplete."),
         ("未召开。", "Not held.")),
        ("A05.2", 3,
         "推行厂务（政务）公开，定期公开工资、福利、保险等职工关心的事项",
         "Open management: pay, benefits, insurance and other matters workers care about published regularly",
         ("设公开栏或其他公开渠道，定期更新，有公开记录。",
          "A board or another channel is updated regularly, with a record of what was published."),
         ("有公开，但不定期或内容不全。", "Matters are published, but irregularly or incompletely."),
         ("未实行公开。", "Nothing is published.")),
        ("A05.3", 2,
         "征集职工代表提案，每件提案有办理和答复",
         "Motions invited from worker representatives, and every motion handled and answered",
         ("征集了提案，答复率100%。", "Motions invited and every one answered."),
         ("征集了提案，但有提案未答复。", "Motions invited, but some were not answered."),
         ("未征集提案。", "No motions invited.")),
        ("A05.4", 2,
         "组织职工代表对单位领导人员进行民主评议，结果向职工反馈",
         "Worker representatives evaluate the unit's managers, and the results are reported back to workers",
         ("组织了评议，结果已向职工反馈。", "An evaluation was held and its results reported back."),
         ("组织了评议，但结果未反馈。", "An evaluation was held, but its results were not reported back."),
         ("未组织评议。", "No evaluation held.")),
    ]),
    ("A06", "劳模工作", "Model-worker work", [
        ("A06.1", 3,
         "建立本单位劳动模范和先进人物档案，信息准确、及时更新",
         "Files on the unit's model workers and other award winners, accurate and up to date",
         ("档案齐全，信息准确，本年度已更新。", "Complete and accurate files, updated this year."),
         ("有档案，但信息不全或未及时更新。", "Files exist but are incomplete or out of date."),
         ("没有建立档案。", "No files.")),
        ("A06.2", 3,
         "落实劳模待遇，节日走访慰问劳模，困难劳模帮扶到位",
         "Model workers' entitlements honoured, holiday visits made, and model workers in hardship helped",
         ("待遇全部落实，节日走访覆盖全部劳模，困难劳模均得到帮扶。",
          "All entitlements honoured, every model worker visited at the holidays, every one in hardship helped."),
         ("只做到部分，例如走访未覆盖全部劳模。", "Partly done, for example not every model worker was visited."),
         ("未开展劳模关怀工作。", "Nothing done.")),
        ("A06.3", 2,
         "发挥劳模示范引领作用，建立劳模（职工）创新工作室或开展劳模讲堂等活动",
         ("Model workers lead by example: an innovation studio named after a model worker, talks by model workers "
         "or similar"),
         ("有劳模创新工作室，或全年开展两次以上劳模活动。",
          "A model-worker innovation studio, or two or more model-worker activities in the year."),
         ("只开展过一次劳模活动。", "One activity only."),
         ("未开展。", "None.")),
        ("A06.4", 2,
         "按要求推荐评选劳模、先进集体和先进个人，材料真实规范",
         "Nominations for model-worker and other honours made as required, with truthful and complete papers",
         ("按时推荐，材料真实、完整。", "Nominated on time, with truthful and complete papers."),
         ("推荐了，但材料不全或逾期报送。", "Nominated, but the papers were incomplete or late."),
         ("未按要求推荐，或材料弄虚作假。", "No nomination as required, or the papers were falsified.")),
    ]),
    ("A07", "温暖工程", "Warmth project (hardship aid)", [
        ("A07.1", 3,
         "建立困难职工档案，实行动态管理，做到底数清、情况明",
         "Files on workers in hardship, kept up to date, so the union knows who needs help and why",
         ("档案完整，每季度核实更新。", "Complete files, checked and updated every quarter."),
         ("有档案，但信息不全或未及时更新。", "Files exist but are incomplete or out of date."),
         ("没有建立档案。", "No files.")),
        ("A07.2", 3,
         "开展元旦、春节送温暖活动，困难职工慰问覆盖率100%",
         "New Year and Spring Festival visits: every worker in hardship visited",
         ("全部困难职工都得到慰问，慰问金物有签收。",
          "Every worker in hardship visited, with signed receipts for money and goods."),
         ("慰问覆盖不全，或签收手续不全。", "Not every worker was visited, or receipts are missing."),
         ("未开展送温暖活动。", "No visits.")),
        ("A07.3", 2,
         "开展金秋助学活动，困难职工子女入学资助及时、足额发放",
         "Autumn school grants paid in full and on time to the children of workers in hardship",
         ("符合条件的全部申报，资助及时足额发放。", "Every eligible child applied for, and grants paid in full and on time."),
         ("有遗漏或发放不及时。", "Some eligible children were missed, or payment was late."),
         ("未开展。", "Not run.")),
        ("A07.4", 2,
         "对患大病或遭遇突发困难的职工及时帮扶，帮扶资金有台账、有签收",
         "Prompt help for workers with a serious illness or sudden hardship, with a ledger and receipts for the money",
         ("及时帮扶，台账和签收完整。", "Help given promptly; ledger and receipts complete."),
         ("有帮扶，但台账或签收不完整。", "Help given, but the ledger or receipts are incomplete."),
         ("未开展日常帮扶。", "No help given.")),
    ]),
    ("A08", "职工互助保险办理", "Members' mutual-aid insurance", [
        ("A08.1", 3,
         "组织会员参加在职职工互助保障（住院医疗、重大疾病、意外伤害等），参保率90%以上",
         "Members enrolled in the workers' mutual-aid plans (hospital care, serious illness, accidents): 90% or more",
         ("参保率90%以上。", "90% or more enrolled."),
         ("参保率70%至90%。", "70% to 90% enrolled."),
         ("参保率低于70%。", "Fewer than 70% enrolled.")),
        ("A08.2", 3,
         "为会员办理工会会员互助服务卡，办卡率90%以上，发卡率100%",
         "Union mutual-aid service cards applied for 90% or more of members, and every card handed out",
         ("办卡率90%以上，且已办的卡全部发到会员手中。",
          "Cards applied for 90% or more of members, and every card handed to its member."),
         ("办卡率70%至90%，或有卡未发放。", "Cards applied for 70% to 90% of members, or some cards not handed out."),
         ("办卡率低于70%。", "Cards applied for fewer than 70% of members.")),
        ("A08.3", 2,
         "协助职工申请互助保障给付，材料及时报送，理赔台账完整",
         "Members helped to claim mutual-aid benefits: papers sent on time, and a complete claims log",
         ("每件申请均在规定时间内报送，台账完整。", "Every claim sent within the time limit, and the log is complete."),
         ("有报送延误或台账不全。", "Some claims were sent late, or the log is incomplete."),
         ("未协助理赔，或没有台账。", "No help with claims, or no log.")),
        ("A08.4", 2,
         "向会员宣传互助保障政策，参保人员信息准确、变更及时",
         "Members told about the mutual-aid plans; enrolment records accurate and changes made promptly",
         ("开展过宣传，参保信息与在册会员一致。", "Members were informed, and enrolment records match the member register."),
         ("开展过宣传，但参保信息有差错或变更不及时。",
          "Members were informed, but enrolment records have errors or changes were late."),
         ("未宣传，且参保信息长期未维护。", "Members were not informed, and the records were not maintained.")),
    ]),
    ("A09", "工会经费收取及审查", "Union funds: collection and audit", [
        ("A09.1", 3,
         "按全部职工工资总额的2%足额、按时拨缴工会经费",
         "Union funds paid in full and on time: 2% of the total payroll",
         ("足额、按时拨缴，有拨缴凭证。", "Paid in full and on time, with payment vouchers."),
         ("已拨缴，但不足额或不按时。", "Paid, but not in full or late."),
         ("未拨缴。", "Not paid.")),
        ("A09.2", 3,
         "工会经费独立建账、独立核算，执行《工会会计制度》",
         "Union funds kept in separate accounts under the Trade Union Accounting Rules",
         ("独立建账，或委托工会服务站会计核算服务中心代理记账，账证相符、账账相符。",
          ("Separate accounts, kept by the union or on its behalf by the service station's accounting centre; "
          "vouchers and ledgers agree.")),
         ("已建账，但核算不规范。", "Accounts exist but are not kept to the rules."),
         ("未独立建账，或与行政账目混用。", "No separate accounts, or they are mixed with the employer's accounts.")),
        ("A09.3", 2,
         "经费审查委员会每年审查经费收支，并向会员（代表）大会报告",
         "The funds audit committee audits income and spending every year and reports to the members' congress",
         ("年度审查已完成，并已报告。", "This year's audit is done and was reported."),
         ("已审查，但未向会员（代表）大会报告。", "Audited, but not reported to the members' congress."),
         ("未审查。", "No audit.")),
        ("A09.4", 2,
         "经费主要用于服务职工和开展工会活动，收支情况向会员公开",
         "Funds spent mainly on services and activities for workers, with income and spending published to members",
         ("使用合规，收支已公开。", "Spent by the rules, and the accounts were published."),
         ("使用合规，但收支未公开。", "Spent by the rules, but the accounts were not published."),
         ("有违规使用经费的情况。", "Funds were misused.")),
    ]),
    ("A10", "职工之家建设", "Building the workers' home", [
        ("A10.1", 3,
         "有固定的职工之家活动场所和必要设施（职工书屋、活动室等），定时向职工开放",
         "A permanent workers' home with basic facilities (reading room, activity room), open to workers at set hours",
         ("有固定场所和设施，开放时间公示并按时开放。", "A permanent place with facilities; opening hours posted and kept."),
         ("有场所，但设施不足或不定时开放。", "A place exists, but facilities are lacking or it opens irregularly."),
         ("没有活动场所。", "No place.")),
        ("A10.2", 3,
         "按“会站家”一体化要求规范建设，工作职责、人员分工、工作制度、基本情况“四上墙”",
         ("Union, service station and workers' home run as one, with duties, staff roles, rules and basic facts "
         "posted on the wall"),
         ("“四上墙”全部做到，台账规范。", "All four are posted, and the records are in order."),
         ("只做到部分“上墙”内容。", "Only some of the four are posted."),
         ("未开展规范化建设。", "Nothing done.")),
        ("A10.3", 2,
         "至少推出一项服务职工的特色项目（如法律咨询、心理疏导、技能培训）",
         "At least one signature service for workers (legal advice, counselling, skills training or similar)",
         ("有特色项目并常态化开展，有服务记录。", "A signature service runs regularly, with a record of who was served."),
         ("有项目，但只开展过一次或没有记录。", "A service was offered only once, or without records."),
         ("没有特色服务项目。", "No signature service.")),
        ("A10.4", 2,
         "开展“会员评家”活动，参与会员达到会员总数60%以上",
         "\"Members rate their home\": 60% or more of members take part",
         ("参与率60%以上，评议意见已整改落实。", "60% or more took part, and their comments were acted on."),
         ("开展了评家，但参与率低于60%或意见未整改。",
          "Held, but fewer than 60% took part or the comments were not acted on."),
         ("未开展会员评家。", "Not held.")),
    ]),
]

#: Every criterion is scored in half points.
STEP = 0.5
AREA_WEIGHT = 10


def _text(pair: tuple[str, str]) -> dict[str, str]:
    return {"zh": pair[0], "en": pair[1]}


def _build() -> dict:
    return {
        "title": _text(_TITLE),
        "total": 100,
        "areas": [
            {
                "code": code,
                "title": {"zh": zh, "en": en},
                "weight": AREA_WEIGHT,
                "criteria": [
                    {
                        "code": c_code,
                        "title": {"zh": c_zh, "en": c_en},
                        "max_points": maximum,
                        "step": STEP,
                        "guidance": {"full": _text(full), "partial": _text(partial), "none": _text(none)},
                    }
                    for c_code, maximum, c_zh, c_en, full, partial, none in criteria
                ],
            }
            for code, zh, en, criteria in _AREAS
        ],
    }


_SPEC = _build()


def default_spec() -> dict:
    """A fresh copy of the default framework spec (callers may change it)."""
    return copy.deepcopy(_SPEC)
