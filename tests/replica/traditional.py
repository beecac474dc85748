"""Simplified to traditional Chinese, character by character, for every character the replica writes."""

# Hand-made data (not OpenCC's tables: the mirror damages text independently of the crawler's
# repair). Three disjoint sets cover every character of vocabulary.py and the page furniture the
# mirror copies (首页 > 新闻中心 > 陈仓要闻, 来源, 发布时间); tests check the coverage.

# "简繁" pairs: the simplified character and the traditional one the mirror writes.
PAIRS = """
万萬 专專 业業 东東 严嚴 个個 为為 丽麗 举舉 义義 习習 乡鄉 书書 产產 亩畝 亲親
亿億 仓倉 仪儀 们們 价價 众眾 优優 会會 伟偉 传傳 体體 党黨 关關 兴興 养養 写寫
军軍 农農 决決 况況 冻凍 准準 减減 凤鳳 凯凱 刘劉 刚剛 创創 别別 办辦 务務 动動
势勢 区區 医醫 华華 协協 单單 卫衛 厂廠 压壓 县縣 参參 发發 叶葉 听聽 吴吳 员員
嘱囑 园園 围圍 国國 图圖 场場 坚堅 墙牆 处處 备備 头頭 奋奮 孙孫 学學 宝寶 实實
对對 导導 将將 层層 届屆 岭嶺 师師 带帶 广廣 庄莊 应應 开開 张張 强強 当當 态態
总總 战戰 执執 护護 报報 拣揀 撑撐 断斷 时時 晓曉 术術 机機 权權 条條 来來
杨楊 标標 梦夢 检檢 楼樓 汇匯 济濟 浓濃 湾灣 湿濕 灾災 点點 烧燒 猕獼 环環 现現
电電 疗療 监監 硕碩 确確 禀稟 秆稈 种種 积積 稳穩 筹籌 类類 粮糧 紧緊 红紅 级級
纪紀 纷紛 练練 组組 细細 织織 绍紹 经經 结結 绕繞 统統 继繼 绩績 续續 维維 综綜
网網 职職 联聯 肃肅 节節 苹蘋 药藥 获獲 营營 装裝 见見 觉覺 计計 训訓 议議 讯訊
记記 讲講 设設 访訪 识識 诈詐 诊診 试試 话話 询詢 该該 详詳 说說 读讀 调調 谐諧
谱譜 负負 财財 责責 账賬 质質 贾賈 资資 赋賦 赵趙 车車 轰轟 边邊 达達 过過 还還
进進 郑鄭 铲鏟 链鏈 锋鋒 锚錨 键鍵 镇鎮 镜鏡 长長 门門 问問 闲閒 间間 闻聞 阁閣
队隊 阳陽 阶階 陈陳 陕陝 隐隱 难難 页頁 项項 顺順 预預 领領 题題 马馬 验驗 骗騙
鸡雞 鸣鳴 麦麥
"""

# One-to-many characters the mirror leaves as they are (docs/site.md §6: 后 于 里 系 干 面 stay; the seed
# also keeps 制 表 志 致 愿, as in 機(jī)制, 代表, 志愿者, 致以).
KEPT = frozenset("后于里系干面丰余台范采据咨游制着托志致表愿")

# Characters written the same in both scripts.
IDENTICAL = frozenset(
    """
一三上下不中主了事二互交人今介他代令以任份企伏伸位住作使供便保信值做健元充光入全
公共其再冬冷出分切判利到前副力功加助化十千升南厚原及反取受召叮可各合吊同名向周命
和品商善喜器四困在地圾坡坪垃城域培基塔境增多大天央契好委娟媒存季安完宏定宣家富小
就局居展峰工已市布席常平年幸府度康延建式引弱形影律得心忙快念急息患情惠愁意感慕成
我截扎技把抓投抗拓招持指按振排接推措提收改放政效教敬整文斌料新方施旅日旱明是普景
智暑暖暨更月有服期朱李材村析林果查校核格桃案森植椒次正此步段比民氛水永求汛污沙河
治泉法泛活派流海消深清渭湖源演火焦燕物特狠猴率玉王班理生用田的益目相盼省督知石研
碌示社神禁福秀秸程究突立站章第等策管箱篇米精累繁置署群老耕聚育胡能自至舍良色花英
茶菌菜落蔬薄虢融行街西要解言象赤走赴起超足跑路身辣近迫送逐通速造道部都重量防阻院
陪障集雷震食首香高
"""
) - {"\n"}

TRADITIONAL = {pair[0]: pair[1] for pair in PAIRS.split()}
SIMPLIFIED = {traditional: simplified for simplified, traditional in TRADITIONAL.items()}
