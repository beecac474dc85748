"""Word lists and sentence templates for the replica's Chinese district-government news."""

# Contract: every string here must be encodable in GBK (tests check it), because one page in nine
# is served in GBK. Stick to common simplified characters and full-width punctuation.

SOURCES = (
    "区融媒体中心",
    "陈仓区政府办",
    "区委宣传部",
    "宝鸡日报",
    "区农业农村局",
    "区发改局",
    "区住建局",
    "区教体局",
    "区卫健局",
    "区文旅局",
    "区应急管理局",
    "区市场监管局",
)

LEADERS = (
    ("区委书记", "王建平"),
    ("区委副书记、区长", "李志刚"),
    ("区委常委、常务副区长", "张海燕"),
    ("区委常委、宣传部部长", "刘卫东"),
    ("副区长", "陈晓峰"),
    ("副区长", "杨宏伟"),
    ("区人大常委会主任", "赵丽娟"),
    ("区政协主席", "周文斌"),
)

OTHER_OFFICIALS = ("吴建军", "郑小红", "孙立新", "马志强", "朱永红", "胡晓东", "高建华", "林秀英")

TOWNS = (
    "虢镇街道",
    "东关街道",
    "千渭街道",
    "阳平镇",
    "千河镇",
    "天王镇",
    "慕仪镇",
    "周原镇",
    "贾村镇",
    "县功镇",
    "新街镇",
    "坪头镇",
    "香泉镇",
    "赤沙镇",
    "拓石镇",
    "凤阁岭镇",
)

VILLAGES = ("东村", "西街村", "上庄村", "王家村", "南坡村", "河湾村", "新丰村", "永清村", "马营村")

PLACES = ("项目建设现场", "企业生产车间", "村级便民服务中心", "农业园区", "学校", "社区", "敬老院")

TOPICS = (
    "安全生产",
    "森林防火",
    "乡村振兴",
    "招商引资",
    "重点项目建设",
    "人居环境整治",
    "冬季供暖保障",
    "营商环境优化",
    "民营经济发展",
    "耕地保护",
    "粮食安全",
    "食品安全",
    "信访维稳",
    "生态环境保护",
    "河湖长制",
    "教育强区建设",
    "医疗卫生服务",
    "文化旅游融合发展",
    "就业创业",
    "高标准农田建设",
    "秸秆禁烧",
    "养老服务体系建设",
    "城市精细化管理",
    "防汛抗旱",
)

SPIRITS = ("党的二十届四中全会", "中央经济工作会议", "省委全会", "市委全会", "全省经济工作会议")

CROPS = ("猕猴桃", "苹果", "辣椒", "小麦", "玉米", "食用菌", "中药材", "蔬菜", "核桃", "花椒")

PROJECTS = (
    "陈仓区智能制造产业园",
    "千河湿地公园提升改造",
    "虢镇老城区改造",
    "城区污水处理厂提标改造",
    "区人民医院门诊综合楼",
    "农村公路提升改造",
    "冷链物流园",
    "分布式光伏发电",
    "中小学校舍改造",
    "现代农业产业园",
)

ACTIVITIES = (
    "安全生产宣传",
    "法治宣传进乡村",
    "学雷锋志愿服务",
    "消防安全演练",
    "全民健身",
    "文化惠民演出",
    "送医下乡义诊",
    "反诈骗宣传",
    "防灾减灾宣传",
    "垃圾分类宣传",
)

KNOWLEDGE = ("安全生产", "消防安全", "防范电信诈骗", "食品安全", "法律", "健康")

TRAININGS = ("基层干部能力提升培训班", "农村实用技术培训班", "安全生产执法培训班", "创业就业培训班")

SLOGANS = (
    "奋力谱写陈仓高质量发展新篇章",
    "以实干实绩推动各项工作落地见效",
    "确保各项任务落实落细",
    "全力以赴抓好冬季安全生产",
    "推动经济社会高质量发展",
    "切实把好事办好实事办实",
)

MATTERS = ("人民群众生命财产安全", "全区发展大局", "群众切身利益", "社会和谐稳定", "高质量发展")

FOCUSES = ("薄弱环节", "重点领域", "关键环节", "群众急难愁盼问题", "突出问题")

DETAILS = ("项目进展情况", "企业生产经营情况", "群众生产生活情况", "工作推进中存在的困难和问题")

PURPOSES = (
    "传达学习上级有关会议精神，总结前一阶段工作，安排部署下一步重点任务",
    "听取各镇街、各部门工作进展情况汇报，研究解决存在的困难和问题",
    "分析研判当前形势，对做好下一阶段工作进行再安排再部署",
)

NUMBERED_POINTS = (
    ("一是强化组织领导。", "各镇街、各部门要落实主体责任，主要负责同志亲自抓、负总责。"),
    ("二是狠抓工作落实。", "要建立工作台账，明确时间节点，逐项推进，确保按期完成。"),
    ("三是加强督导检查。", "区督查部门要加大督查力度，对工作不力的单位和个人严肃问责。"),
    ("四是做好宣传引导。", "要充分利用各类媒体，广泛宣传好经验好做法，营造浓厚氛围。"),
)

# Story kinds: each has its titles (short: 12–28 characters, long: 29–40), leads and sentences,
# so a title and its body talk about the same thing. {field}s are filled from one story.
STORIES = {
    "meeting": {
        "short": (
            "我区召开{topic}工作推进会",
            "全区{topic}工作会议召开",
            "区政府召开第{n}次常务会议",
            "{leader}主持召开{topic}专题会议",
        ),
        "long": (
            "区委常委会召开会议 传达学习{spirit}精神 研究部署{topic}等工作",
            "我区召开{year}年{topic}工作会议暨{topic2}推进会",
            "{leader_role}{leader}主持召开{topic}工作会议 安排部署下一阶段工作",
            "区政府召开常务会议 研究{topic}和{topic2}等工作",
        ),
        "leads": (
            "{month}月{day}日{part}，{leader_role}{leader}主持召开{topic}工作会议，{purpose}。",
            "{month}月{day}日，全区{topic}工作会议召开，{purpose}。",
        ),
        "sentences": (
            "{leader}指出，{topic}工作事关{matter}，各级各部门要切实提高政治站位，增强责任感和紧迫感。",
            "{leader}强调，要坚持问题导向，聚焦{focus}，细化工作措施，压实工作责任，确保各项任务落地见效。",
            "会上，{dept}等单位负责同志分别就{topic}工作进行了汇报发言。",
            "会议要求，各镇街、各部门要坚持“{slogan}”，全力做好{topic}各项工作。",
            "全区上下要锚定目标任务，确保取得 {year} 年各项工作“开门红”。",
            "会议还研究了{topic2}等其他事项。",
            "区领导{officials}参加会议。",
        ),
    },
    "inspection": {
        "short": (
            "{leader_role}{leader}调研{topic}工作",
            "{leader}到{town}调研{topic}工作",
            "{leader}督导检查{topic}工作",
        ),
        "long": (
            "{leader_role}{leader}督导检查{topic}工作时强调 {slogan}",
            "{leader_role}{leader}深入{town}调研{topic}工作 {slogan}",
            "{leader}到{town}调研{topic}工作时强调 要{slogan}",
        ),
        "leads": (
            "{month}月{day}日，{leader_role}{leader}深入{town}{place}，实地调研{topic}工作，详细了解{detail}。",
            "{month}月{day}日{part}，{leader_role}{leader}带队督导检查{topic}工作。",
        ),
        "sentences": (
            "在{town}{village}，{leader}详细询问了{detail}，叮嘱相关负责同志要把好事办好、把实事办实。",
            "{leader}强调，要坚持问题导向，聚焦{focus}，细化工作措施，压实工作责任，确保各项任务落地见效。",
            "{leader}指出，{topic}工作事关{matter}，各级各部门要切实提高政治站位，增强责任感和紧迫感。",
            "截至目前，全区已排查整改各类问题隐患{n}处，整改率达到{pct}%。",
            "区领导{officials}陪同调研。",
        ),
    },
    "agriculture": {
        "short": (
            "{town}{crop}喜获丰收",
            "{town}：{crop}产业助农增收",
            "我区{crop}产业发展势头良好",
        ),
        "long": (
            "{town}：小{crop}撑起富民大产业 乡村振兴结出累累硕果",
            "{town}{village}：{crop}种植托起群众“致富梦” 小产业做出大文章",
            "我区大力发展{crop}特色产业 {slogan}",
        ),
        "leads": (
            "时下正值冬闲时节，走进{town}{village}{crop}种植基地，处处是群众忙碌的身影。",
            "近日，在{town}{village}的{crop}种植基地里，村民们正忙着采收、分拣、装箱。",
        ),
        "sentences": (
            "近年来，{town}立足资源禀赋，大力发展{crop}产业，种植面积达到{area}亩，年产值超过{amount}万元。",
            "“今年{crop}长势好、价格高，一亩地能收入{money}多元。”{village}村民高兴地说。",
            "为提高{crop}品质，{dept}组织技术人员深入田间地头，开展技术指导{n}场次。",
            "下一步，{town}将继续延伸{crop}产业链条，推动一二三产业融合发展，带动更多群众增收致富。",
        ),
    },
    "project": {
        "short": (
            "{project}项目建设加速推进",
            "{project}项目按下“快进键”",
            "我区重点项目建设跑出加速度",
        ),
        "long": (
            "我区{count}个重点项目集中开工 总投资{amount}亿元 {slogan}",
            "{project}项目建设进展顺利 预计{year}年投入使用",
        ),
        "leads": (
            "在{project}项目建设现场，塔吊林立、机器轰鸣，施工人员正在加紧作业，一派繁忙景象。",
            "{month}月{day}日，我区{year}年重点项目集中开工活动在{project}项目现场举行。",
        ),
        "sentences": (
            "据了解，该项目总投资 {n} 亿元，建成后预计年产值可达{amount}亿元，将有效带动周边群众增收。",
            "今年以来，{town}累计完成投资{n}亿元，同比增长{pct}%，带动{people}余名群众就近就业。",
            "{year}年，全区将围绕{topic}，实施重点项目{count}个，完成年度投资{amount}亿元。",
            "项目负责人介绍，目前主体工程已完成{pct}%，正在抓紧进行设备安装调试。",
        ),
    },
    "activity": {
        "short": (
            "{dept}开展{activity}活动",
            "{town}扎实开展{activity}活动",
            "我区举办{training}",
        ),
        "long": (
            "{dept}联合{town}开展{activity}活动 {slogan}",
            "我区举办{year}年{training} 提升干部群众{knowledge}意识",
        ),
        "leads": (
            "为进一步做好{topic}工作，{month}月{day}日，{dept}在{town}开展{activity}活动。",
            "{month}月{day}日，{dept}在{town}{village}举办{training}，{people}余名群众参加。",
        ),
        "sentences": (
            "活动现场，工作人员通过发放宣传资料、设置咨询台、现场讲解等方式，向群众普及{knowledge}知识。",
            "此次活动共发放宣传资料{people}余份，接受群众咨询{n}余人次，取得了良好的社会效果。",
            "大家纷纷表示，将以此次活动为契机，进一步增强{knowledge}意识，自觉做好宣传员。",
            "下一步，{dept}将持续加大工作力度，不断完善长效机制，为全区高质量发展提供有力保障。",
        ),
    },
}

# Sentences that fit any story.
SENTENCES = (
    "要强化统筹协调，加强部门联动，形成工作合力，推动{topic}工作取得新成效。",
    "下一步，{dept}将持续加大工作力度，不断完善长效机制，为全区高质量发展提供有力保障。",
    "截至目前，全区已排查整改各类问题隐患{n}处，整改率达到{pct}%。",
    "今年以来，{town}累计完成投资{n}亿元，同比增长{pct}%，带动{people}余名群众就近就业。",
    "各镇街、各部门要把{topic}工作放在突出位置，主要负责同志亲自抓、负总责。",
)

CLOSINGS = (
    "各镇街、区级各部门主要负责同志参加会议。",
    "区领导{officials}陪同调研。",
    "下一步，{town}将继续深化{topic}工作，不断提升群众的获得感、幸福感、安全感。",
)

CAPTIONS = (
    "图为会议现场",
    "图为{leader}在{town}调研",
    "图为{project}项目建设现场",
    "图为{town}{crop}种植基地",
    "图为{activity}活动现场",
)

LINK_SENTENCE = "相关链接："

LINK_TEXTS = ("宝鸡市人民政府网", "陕西省人民政府网", "中国政府网", "陈仓区人民政府网")

ATTACHMENT_TITLES = (
    "陈仓区{year}年{topic}工作实施方案",
    "陈仓区{topic}工作任务分解表",
    "关于做好{topic}工作的通知",
    "{year}年{topic}项目公示名单",
)

OFFSITE_TITLES = ("宝鸡市召开全市{topic}工作会议", "宝鸡市{topic}工作取得新进展")

SIDE_HOT = ("政府信息公开", "政务服务", "互动交流", "便民服务", "政策解读")

# Typo pairs used by the timeline's corrections: the published text has the wrong character (a
# homophone a pinyin input method produces), the edit restores the right one.
HOMOPHONES = {
    "部": "布",
    "署": "暑",
    "召": "招",
    "作": "做",
    "展": "战",
    "会": "汇",
    "议": "义",
    "建": "健",
    "设": "社",
    "农": "浓",
    "项": "象",
    "进": "近",
    "查": "茶",
    "安": "按",
    "全": "权",
    "境": "镜",
    "保": "宝",
    "务": "物",
    "村": "存",
    "振": "震",
    "治": "制",
    "理": "里",
    "政": "正",
    "委": "为",
    "记": "纪",
    "督": "都",
    "实": "时",
    "施": "师",
    "提": "题",
    "化": "话",
    "育": "预",
    "城": "成",
    "市": "事",
    "企": "起",
    "培": "陪",
    "训": "讯",
    "研": "严",
    "效": "校",
    "强": "墙",
    "深": "身",
    "组": "阻",
    "织": "职",
    "领": "令",
    "产": "铲",
    "工": "公",
    "开": "凯",
    "动": "冻",
    "业": "叶",
    "年": "念",
}


def all_strings() -> list[str]:
    """Every string of the vocabulary, for the GBK check."""
    values: list[str] = []
    for name, value in globals().items():
        if name.isupper():
            values.extend(_flatten(value))
    return values


def _flatten(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*map(str, value.keys()), *map(str, value.values())]
    if isinstance(value, tuple | list):
        return [s for item in value for s in _flatten(item)]
    return []
