"""The demo's 2014 open-door round, published: composite inputs, then version 1.

The representatives' open-door scores were "the basis of the mid-year target assessment"
of the nine directly affiliated unions (DOMAIN.md section 2); the composite assessment
combines them with the unions' target indicators and a member satisfaction result. The
indicators follow the targets the seeds name (DOMAIN.md section 3): the member information
update rate (target 100%), the collection of union dues (paid in full and on time, target
100%) and the mutual-aid service card application rate (target 90%); the satisfaction
result is the share of members satisfied in the members' evaluation of their union
(满意度测评, 会员评家). The figures are made up, fixed and plausible: they go roughly with
each union's open-door quality in ``survey.services.demo_scores`` without copying it.

Weights: open door 60, each indicator 10, satisfaction 10 (together 100, as
:mod:`scoring.composite` requires per unit).

The round is then published as version 1 by the demo administrator, dated 2014-07-01
10:00 Beijing time, through the same service as the staff screens and ``kaimen publish``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from survey.models import Publication, Round, User
from survey.services import composites, publications

OPEN_DOOR_WEIGHT = 60
#: (code, title, target, floor, weight) of the target indicators; shares (0-1).
TARGETS = (
    ("member_info_update_rate", "会员信息动态更新率", 1.00, 0.50, 10),
    ("dues_collection_rate", "工会经费按时足额收缴率", 1.00, 0.60, 10),
    ("mutual_aid_card_rate", "工会互助服务卡办卡率", 0.90, 0.00, 10),
)
#: (code, title, weight) of the satisfaction result, a share of the members asked.
SURVEY = ("member_satisfaction", "会员满意度测评满意率", 10)
#: Unit code -> (member information update rate, dues collection rate, card application
#: rate, share of members satisfied), mid-2014.
FIGURES = {
    "XC-D01": (1.00, 1.00, 0.95, 0.912),  # 隆盛泰: the model enterprise union
    "XC-D02": (0.96, 0.98, 0.84, 0.805),
    "XC-D03": (0.98, 1.00, 0.88, 0.850),
    "XC-D04": (0.91, 0.93, 0.76, 0.748),
    "XC-D05": (1.00, 0.99, 0.92, 0.876),
    "XC-D06": (0.87, 0.90, 0.71, 0.703),
    "XC-D07": (0.97, 1.00, 0.86, 0.821),
    "XC-D08": (0.93, 0.96, 0.79, 0.774),
    "XC-D09": (0.99, 0.97, 0.90, 0.843),
}
#: When version 1 was published: 2014-07-01 10:00 in Beijing.
PUBLISHED_AT = (2014, 7, 1, 10, 0)
ADMIN_USERNAME = "admin"


def demo_composite() -> dict:
    """The round's composite inputs, in the ``composite`` format of ``python -m scoring``."""
    code, title, weight = SURVEY
    return {
        "total_weight": 100,
        "open_door_weight": OPEN_DOOR_WEIGHT,
        "units": [
            {
                "unit": unit,
                "targets": [
                    {"code": t_code, "title": t_title, "actual": actual, "target": target, "weight": t_weight,
                     "direction": "higher", "floor": floor}
                    for (t_code, t_title, target, floor, t_weight), actual in zip(TARGETS, figures[:3], strict=True)
                ],
                "surveys": [{"code": code, "title": title, "value": figures[3], "weight": weight, "scale": "share"}],
            }
            for unit, figures in FIGURES.items()
        ],
    }


def published_at() -> datetime:
    """2014-07-01 10:00 Beijing time (02:00 UTC), whatever the installation's time zone."""
    return datetime(*PUBLISHED_AT, tzinfo=ZoneInfo("Asia/Shanghai"))


def publish_demo_round(round: Round, by: User | None) -> Publication:
    """Give the scored round its composite inputs and publish it as version 1."""
    composites.set_composite(round=round, data=demo_composite())
    return publications.publish(round=round, by=by, now=published_at())
