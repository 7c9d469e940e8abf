"""Domain vocabulary shared by tokenising, fact extraction and question understanding.

Plain data, no logic beyond small lookups. Append entries; keep each table in one place.
"""

from __future__ import annotations

# The 16 districts of Shanghai, and the city itself. Full name -> short forms users type.
DISTRICTS: dict[str, tuple[str, ...]] = {
    "黄浦区": ("黄浦",),
    "徐汇区": ("徐汇",),
    "长宁区": ("长宁",),
    "静安区": ("静安",),
    "普陀区": ("普陀",),
    "虹口区": ("虹口",),
    "杨浦区": ("杨浦",),
    "闵行区": ("闵行",),
    "宝山区": ("宝山",),
    "嘉定区": ("嘉定",),
    "浦东新区": ("浦东", "浦东新"),
    "金山区": ("金山",),
    "松江区": ("松江",),
    "青浦区": ("青浦",),
    "奉贤区": ("奉贤",),
    "崇明区": ("崇明",),
    "上海市": ("上海", "全市", "市级", "市里", "市民政局", "沪"),
}

CITY = "上海市"


def district_aliases() -> list[tuple[str, str]]:
    """(surface form, canonical name), longest first, for matching in free text."""
    pairs = [(full, full) for full in DISTRICTS]
    pairs += [(alias, full) for full, aliases in DISTRICTS.items() for alias in aliases]
    return sorted(pairs, key=lambda p: -len(p[0]))


# Words that say what a figure is: order matters for matching (longest first is applied by users).
QUALIFIERS: dict[str, tuple[str, ...]] = {
    "新增": ("新增", "新建", "新设", "增加", "新开", "新招"),
    "改建": ("改建", "改造", "改进建", "提升改造"),
    "累计": ("累计", "共计", "总计", "合计", "先后", "共完成"),
    "总数": ("总数", "共有", "总量", "总共", "现有", "全区共", "达到", "达"),
    "完成": ("完成", "实现", "建成", "已"),
    "不低于": ("不低于", "不少于", "以上", "至少", "超过"),
    "计划": ("计划", "力争", "争取", "预计", "目标"),
    "覆盖": ("覆盖",),
}

# Units a figure carries, and the question words that hint at them.
COUNT_UNITS = (
    "张", "家", "个", "户", "名", "人", "人次", "万人次", "所", "处", "座", "条", "项", "类", "支", "批",
    "次", "场", "件", "套", "台", "块", "床", "元", "万元", "亿元", "平方米", "小时", "课时", "岁", "周岁",
    "镇", "街镇", "对",
)

# Question phrasings -> the unit they expect.
UNIT_HINTS: dict[str, str] = {
    "多少张": "张",
    "几张": "张",
    "多少家": "家",
    "几家": "家",
    "多少个": "个",
    "几个": "个",
    "多少户": "户",
    "几户": "户",
    "多少名": "名",
    "多少人次": "人次",
    "多少人": "人",
    "几人": "人",
    "多少钱": "元",
    "多少元": "元",
    "多少万元": "元",
    "多少资金": "元",
    "多少经费": "元",
    "比例": "%",
    "占比": "%",
    "百分之几": "%",
    "多少比例": "%",
    "覆盖率": "%",
    "几类": "类",
    "多少类": "类",
    "几支": "支",
    "多少支": "支",
    "几所": "所",
    "多少所": "所",
    "几项": "项",
    "多少项": "项",
    "几批": "批",
    "几次": "次",
    "多少次": "次",
    "多少场": "场",
    "几场": "场",
    "多少处": "处",
    "几处": "处",
}

# Everyday wording -> the documents' wording (both directions are used for keyword expansion).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "养老床位": ("养老院床位", "养老院的床位", "养老机构床位", "敬老院床位", "床位"),
    "认知障碍照护床位": ("认知症床位", "失智床位", "认知障碍床位", "老年痴呆床位", "认知症照护床位"),
    "认知障碍": ("认知症", "失智", "老年痴呆", "阿尔茨海默"),
    "社区长者食堂": ("长者食堂", "老年食堂", "老人食堂", "社区食堂"),
    "社区老年助餐服务场所": ("助餐点", "助餐场所", "老年助餐点", "吃饭的地方"),
    "综合为老服务中心": ("为老服务中心", "养老服务综合体", "综合为老中心"),
    "适老化改造": ("适老改造", "适老化", "无障碍改造", "居家改造"),
    "社区救助顾问": ("救助顾问",),
    "婚姻登记": ("结婚登记", "结婚证", "领证"),
    "离婚登记": ("离婚",),
    "最低生活保障": ("低保",),
    "困境儿童": ("困难儿童",),
    "养老护理员": ("护工", "护理员"),
    "家庭照护床位": ("家庭病床", "家庭养老床位"),
    "日间照料中心": ("日托", "日间照料", "老年日托"),
    "殡葬": ("丧葬", "墓地", "骨灰"),
    "社会组织": ("社团", "民非"),
    "慈善超市": ("爱心超市",),
    "老年人": ("老人", "长者", "老年"),
    "智慧养老院": ("智能养老院",),
}

# Terms jieba must keep whole (added to its dictionary at tokeniser start).
DOMAIN_TERMS: tuple[str, ...] = (
    "养老床位", "认知障碍照护床位", "认知障碍", "护理型床位", "家庭照护床位", "综合为老服务中心",
    "社区长者食堂", "长者食堂", "助餐点", "社区老年助餐服务场所", "社区救助顾问", "救助顾问",
    "适老化改造", "养老护理员", "智慧养老院", "互联网医院", "家门口养老服务站", "日间照料中心",
    "社区养老服务", "居家养老", "养老服务", "婚姻登记", "结婚登记", "离婚登记", "最低生活保障", "低保",
    "困境儿童", "未成年人保护", "未保工作站", "慈善超市", "社会组织", "社会工作", "社工", "殡葬",
    "精神障碍社区康复", "残疾人", "退役军人", "区划地名", "政策找人", "一键通", "老伙伴计划",
    "时光伙伴", "十四五", "工作要点", "中期评估", "民政局", "街镇",
    *DISTRICTS.keys(),
    *(alias for aliases in DISTRICTS.values() for alias in aliases if len(alias) >= 2),
)
