"""Names of the regions the registry works with and the district lists of BY-MI and CN-CQ."""

from typing import Final

Names = dict[str, str]

REGION_NAMES: Final[dict[str, Names]] = {
    "BY-BR": {
        "ru": "Брестская область",
        "be": "Брэсцкая вобласць",
        "en": "Brest Region",
        "zh": "布列斯特州",
    },
    "BY-HO": {
        "ru": "Гомельская область",
        "be": "Гомельская вобласць",
        "en": "Gomel Region",
        "zh": "戈梅利州",
    },
    "BY-HR": {
        "ru": "Гродненская область",
        "be": "Гродзенская вобласць",
        "en": "Grodno Region",
        "zh": "格罗德诺州",
    },
    "BY-MA": {
        "ru": "Могилёвская область",
        "be": "Магілёўская вобласць",
        "en": "Mogilev Region",
        "zh": "莫吉廖夫州",
    },
    "BY-MI": {
        "ru": "Минская область",
        "be": "Мінская вобласць",
        "en": "Minsk Region",
        "zh": "明斯克州",
    },
    "BY-VI": {
        "ru": "Витебская область",
        "be": "Віцебская вобласць",
        "en": "Vitebsk Region",
        "zh": "维捷布斯克州",
    },
    "BY-HM": {
        "ru": "г. Минск",
        "be": "г. Мінск",
        "en": "Minsk (city)",
        "zh": "明斯克市",
    },
    "CN-CQ": {"ru": "Чунцин", "be": "Чунцын", "en": "Chongqing", "zh": "重庆市"},
}

# 22 districts and one city of regional subordination, as REFERENCE.md lists them.
_MINSK_REGION_ROWS: Final = (
    ("berezino", "Березинский район", "Бярэзінскі раён", "Berezino District"),
    ("borisov", "Борисовский район", "Барысаўскі раён", "Borisov District"),
    ("vileyka", "Вилейский район", "Вілейскі раён", "Vileyka District"),
    ("volozhin", "Воложинский район", "Валожынскі раён", "Volozhin District"),
    ("dzerzhinsk", "Дзержинский район", "Дзяржынскі раён", "Dzerzhinsk District"),
    ("kletsk", "Клецкий район", "Клецкі раён", "Kletsk District"),
    ("kopyl", "Копыльский район", "Капыльскі раён", "Kopyl District"),
    ("krupki", "Крупский район", "Крупскі раён", "Krupki District"),
    ("logoysk", "Логойский район", "Лагойскі раён", "Logoysk District"),
    ("lyuban", "Любанский район", "Любанскі раён", "Lyuban District"),
    ("minsk", "Минский район", "Мінскі раён", "Minsk District"),
    ("molodechno", "Молодечненский район", "Маладзечанскі раён", "Molodechno District"),
    ("myadel", "Мядельский район", "Мядзельскі раён", "Myadel District"),
    ("nesvizh", "Несвижский район", "Нясвіжскі раён", "Nesvizh District"),
    ("pukhovichi", "Пуховичский район", "Пухавіцкі раён", "Pukhovichi District"),
    ("slutsk", "Слуцкий район", "Слуцкі раён", "Slutsk District"),
    # Home of the China–Belarus Great Stone industrial park.
    ("smolevichi", "Смолевичский район", "Смалявіцкі раён", "Smolevichi District"),
    ("soligorsk", "Солигорский район", "Салігорскі раён", "Soligorsk District"),
    (
        "starye_dorogi",
        "Стародорожский район",
        "Старадарожскі раён",
        "Starye Dorogi District",
    ),
    ("stolbtsy", "Столбцовский район", "Стаўбцоўскі раён", "Stolbtsy District"),
    ("uzda", "Узденский район", "Уздзенскі раён", "Uzda District"),
    ("cherven", "Червенский район", "Чэрвеньскі раён", "Cherven District"),
    ("zhodino", "г. Жодино", "г. Жодзіна", "Zhodino (city)"),
)

# 26 districts, 8 counties and 4 autonomous counties: code, zh, en, ru.
_CHONGQING_ROWS: Final = (
    ("wanzhou", "万州区", "Wanzhou District", "район Ваньчжоу"),
    ("fuling", "涪陵区", "Fuling District", "район Фулин"),
    ("yuzhong", "渝中区", "Yuzhong District", "район Юйчжун"),
    ("dadukou", "大渡口区", "Dadukou District", "район Дадукоу"),
    ("jiangbei", "江北区", "Jiangbei District", "район Цзянбэй"),
    ("shapingba", "沙坪坝区", "Shapingba District", "район Шапинба"),
    ("jiulongpo", "九龙坡区", "Jiulongpo District", "район Цзюлунпо"),
    ("nanan", "南岸区", "Nan'an District", "район Наньань"),
    ("beibei", "北碚区", "Beibei District", "район Бэйбэй"),
    ("qijiang", "綦江区", "Qijiang District", "район Цицзян"),
    ("dazu", "大足区", "Dazu District", "район Дацзу"),
    ("yubei", "渝北区", "Yubei District", "район Юйбэй"),
    ("banan", "巴南区", "Banan District", "район Банань"),
    ("qianjiang", "黔江区", "Qianjiang District", "район Цяньцзян"),
    ("changshou", "长寿区", "Changshou District", "район Чаншоу"),
    ("jiangjin", "江津区", "Jiangjin District", "район Цзянцзинь"),
    ("hechuan", "合川区", "Hechuan District", "район Хэчуань"),
    ("yongchuan", "永川区", "Yongchuan District", "район Юнчуань"),
    ("nanchuan", "南川区", "Nanchuan District", "район Наньчуань"),
    ("bishan", "璧山区", "Bishan District", "район Бишань"),
    ("tongliang", "铜梁区", "Tongliang District", "район Тунлян"),
    ("tongnan", "潼南区", "Tongnan District", "район Туннань"),
    ("rongchang", "荣昌区", "Rongchang District", "район Жунчан"),
    ("kaizhou", "开州区", "Kaizhou District", "район Кайчжоу"),
    ("liangping", "梁平区", "Liangping District", "район Лянпин"),
    ("wulong", "武隆区", "Wulong District", "район Улун"),
    ("chengkou", "城口县", "Chengkou County", "уезд Чэнкоу"),
    ("fengdu", "丰都县", "Fengdu County", "уезд Фэнду"),
    ("dianjiang", "垫江县", "Dianjiang County", "уезд Дяньцзян"),
    ("zhongxian", "忠县", "Zhong County", "уезд Чжун"),
    ("yunyang", "云阳县", "Yunyang County", "уезд Юньян"),
    ("fengjie", "奉节县", "Fengjie County", "уезд Фэнцзе"),
    ("wushan", "巫山县", "Wushan County", "уезд Ушань"),
    ("wuxi", "巫溪县", "Wuxi County", "уезд Уси"),
    (
        "shizhu",
        "石柱土家族自治县",
        "Shizhu Tujia Autonomous County",
        "Шичжу-Туцзяский автономный уезд",
    ),
    (
        "xiushan",
        "秀山土家族苗族自治县",
        "Xiushan Tujia and Miao Autonomous County",
        "Сюшань-Туцзя-Мяоский автономный уезд",
    ),
    (
        "youyang",
        "酉阳土家族苗族自治县",
        "Youyang Tujia and Miao Autonomous County",
        "Юян-Туцзя-Мяоский автономный уезд",
    ),
    (
        "pengshui",
        "彭水苗族土家族自治县",
        "Pengshui Miao and Tujia Autonomous County",
        "Пэншуй-Мяо-Туцзяский автономный уезд",
    ),
)

DISTRICTS: Final[dict[str, dict[str, Names]]] = {
    "BY-MI": {code: {"ru": ru, "be": be, "en": en} for code, ru, be, en in _MINSK_REGION_ROWS},
    "CN-CQ": {code: {"ru": ru, "en": en, "zh": zh} for code, zh, en, ru in _CHONGQING_ROWS},
}

# The regions the reference document lists; every other ISO 3166-2 code stays valid through
# pycountry but there are too many to list.
LISTED_REGIONS: Final[tuple[str, ...]] = tuple(REGION_NAMES)
