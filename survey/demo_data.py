"""The seeds' scenario as plain data: Xicheng District, Beijing, 2014.

Names of sub-districts come from the seeds; the directly affiliated unions and
people are plausible inventions where the seeds name none (the seeds mention
隆盛泰 as a directly affiliated enterprise union, the health-and-family-planning
commission's union and Desheng's community workers' union).
"""

from __future__ import annotations

DISTRICT = ("XC", "北京市西城区总工会", "Xicheng District Federation of Trade Unions")

#: (code, Chinese name, English name) of the 15 sub-district federations.
SUB_DISTRICTS = [
    ("XCJ", "西长安街街道总工会", "Xichang'anjie Sub-district Federation"),
    ("XJK", "新街口街道总工会", "Xinjiekou Sub-district Federation"),
    ("YTN", "月坛街道总工会", "Yuetan Sub-district Federation"),
    ("ZLL", "展览路街道总工会", "Zhanlanlu Sub-district Federation"),
    ("DSH", "德胜街道总工会", "Desheng Sub-district Federation"),
    ("JRJ", "金融街街道总工会", "Financial Street Sub-district Federation"),
    ("SCH", "什刹海街道总工会", "Shichahai Sub-district Federation"),
    ("DZL", "大栅栏街道总工会", "Dashilan Sub-district Federation"),
    ("TQA", "天桥街道总工会", "Tianqiao Sub-district Federation"),
    ("CSH", "椿树街道总工会", "Chunshu Sub-district Federation"),
    ("TRT", "陶然亭街道总工会", "Taoranting Sub-district Federation"),
    ("GAN", "广安门内街道总工会", "Guang'anmennei Sub-district Federation"),
    ("NJI", "牛街街道总工会", "Niujie Sub-district Federation"),
    ("BZF", "白纸坊街道总工会", "Baizhifang Sub-district Federation"),
    ("GAW", "广安门外街道总工会", "Guang'anmenwai Sub-district Federation"),
]

#: 255 communities, each with a community joint union: 17 per sub-district.
COMMUNITIES_PER_SUB_DISTRICT = 17

#: Enterprise unions per sub-district: (suffix, Chinese name pattern, English, industry).
ENTERPRISE_TEMPLATES = [
    ("E1", "{sd}商贸有限公司工会", "{sd_en} Trading Co. Union", "commerce"),
    ("E2", "{sd}物业管理有限公司工会", "{sd_en} Property Management Co. Union", "property services"),
    ("E3", "{sd}餐饮服务有限公司工会", "{sd_en} Catering Services Co. Union", "catering"),
    ("E4", "{sd}科技发展有限公司工会", "{sd_en} Technology Development Co. Union", "information technology"),
]

#: Industry joint unions: (sub-district code, code, Chinese, English, industry).
INDUSTRY_JOINT_UNIONS = [
    ("XCJ", "XCJ-IJ1", "西单婚庆行业联合工会", "Xidan Wedding Trade Joint Union", "wedding services"),
    ("DZL", "DZL-IJ1", "大栅栏老字号行业联合工会", "Dashilan Time-honoured Brands Joint Union", "commerce"),
    ("JRJ", "JRJ-IJ1", "金融街楼宇联合工会", "Financial Street Office Buildings Joint Union", "finance"),
    ("DSH", "DSH-IJ1", "德胜街道社区工作者工会", "Desheng Community Workers' Union", "community services"),
]

#: Bureau unions (委办局), attached to the district federation.
BUREAU_UNIONS = [
    ("XC-B01", "西城区卫生和计划生育委员会工会", "District Health and Family Planning Commission Union", "health"),
    ("XC-B02", "西城区教育委员会工会", "District Education Commission Union", "education"),
]

#: The nine directly affiliated grassroots unions whose chairs reported in 2014.
DIRECTLY_AFFILIATED = [
    ("XC-D01", "隆盛泰公司工会", "Longshengtai Company Union", "commerce", 420),
    ("XC-D02", "西城区市政市容管理委员会直属工会", "Municipal Administration Commission Union", "public administration", 365),
    ("XC-D03", "西城区文化委员会系统工会", "Culture Commission System Union", "culture", 512),
    ("XC-D04", "西城区房屋土地经营管理中心工会", "Housing and Land Management Centre Union", "property services", 688),
    ("XC-D05", "西城区社区卫生服务中心联合工会", "Community Health Service Centres Joint Union", "health", 1240),
    ("XC-D06", "北京天桥演艺区发展有限公司工会", "Tianqiao Performing Arts District Co. Union", "culture", 236),
    ("XC-D07", "西城区环境卫生服务中心工会", "Sanitation Services Centre Union", "sanitation", 954),
    ("XC-D08", "西城区园林绿化局工会", "Landscaping and Greening Bureau Union", "public administration", 318),
    ("XC-D09", "金融街物业管理有限公司工会", "Financial Street Property Management Co. Union", "property services", 577),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯"
GIVEN_NAMES = ["建国", "秀英", "志强", "桂兰", "海燕", "立新", "淑珍", "卫东", "红梅", "国庆",
               "玉兰", "振华", "丽娟", "宏伟", "春梅", "晓东", "雪梅", "建华", "敏", "军",
               "静", "磊", "婷", "涛", "燕", "勇", "颖"]

#: The 2014 panels: 27 worker representatives in four groups.
REPRESENTATIVE_COUNT = 27
PANEL_COUNT = 4

#: Demo accounts: (username, role, display name zh, password). Demo use only.
DEMO_ACCOUNTS = [
    ("admin", "admin", "系统管理员", "kaimen-demo-admin"),
    ("staff", "staff", "区总工会 工作人员", "kaimen-demo-staff"),
    ("shichahai", "staff", "什刹海街道总工会 工作人员", "kaimen-demo-staff"),
    ("evaluator", "evaluator", "公共绩效评估中心 评估员", "kaimen-demo-evaluator"),
]
REPRESENTATIVE_PASSWORD = "kaimen-demo-rep"  # nosec B105  # the demo's published login
