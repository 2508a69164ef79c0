"""Code lists of the registry (names in ru, be, en, zh) and the ISO facts pycountry lacks."""

from typing import Final

Names = dict[str, str]
CodeList = dict[str, Names]


def _n(ru: str, be: str, en: str, zh: str) -> Names:
    return {"ru": ru, "be": be, "en": en, "zh": zh}


def _i(ru: str, be: str, zh: str) -> Names:
    """Names of an ISO code whose English name comes from pycountry."""
    return {"ru": ru, "be": be, "zh": zh}


INSTITUTION_KINDS: Final[CodeList] = {
    "hospital": _n("Больница", "Бальніца", "Hospital", "医院"),
    "clinic": _n("Клиника", "Клініка", "Clinic", "诊所"),
    "polyclinic": _n("Поликлиника", "Паліклініка", "Polyclinic", "综合门诊部"),
    "tcm_hospital": _n(
        "Больница традиционной китайской медицины",
        "Бальніца традыцыйнай кітайскай медыцыны",
        "Traditional Chinese medicine hospital",
        "中医医院",
    ),
    "pharmacy": _n("Аптека", "Аптэка", "Pharmacy", "药店"),
    "university": _n("Университет", "Універсітэт", "University", "大学"),
    "research_institute": _n(
        "Научно-исследовательский институт",
        "Навукова-даследчы інстытут",
        "Research institute",
        "科研院所",
    ),
    "manufacturer": _n("Производитель", "Вытворца", "Manufacturer", "生产企业"),
    "distributor": _n("Дистрибьютор", "Дыстрыб'ютар", "Distributor", "经销商"),
    "logistics": _n(
        "Логистическая компания",
        "Лагістычная кампанія",
        "Logistics company",
        "物流企业",
    ),
    "government_body": _n(
        "Государственный орган", "Дзяржаўны орган", "Government body", "政府机构"
    ),
    "other": _n("Другое", "Іншае", "Other", "其他"),
}

INSTITUTION_STATUSES: Final[CodeList] = {
    "active": _n("Действует", "Дзейнічае", "Active", "运营中"),
    "suspended": _n("Деятельность приостановлена", "Дзейнасць прыпынена", "Suspended", "暂停运营"),
    "closed": _n("Закрыто", "Закрыта", "Closed", "已关闭"),
}

IDENTIFIER_SCHEMES: Final[CodeList] = {
    "by_unp": _n(
        "УНП (учётный номер плательщика, Беларусь)",
        "УНП (уліковы нумар плацельшчыка, Беларусь)",
        "Belarus taxpayer number (UNP)",
        "白俄罗斯纳税人识别号（UNP）",
    ),
    "cn_uscc": _n(
        "Единый код социального кредита (Китай)",
        "Адзіны код сацыяльнага крэдыту (Кітай)",
        "China unified social credit code (USCC)",
        "统一社会信用代码",
    ),
    "other": _n("Другой идентификатор", "Іншы ідэнтыфікатар", "Other identifier", "其他标识码"),
}

PARTNERSHIP_AREAS: Final[CodeList] = {
    "tcm": _n(
        "Традиционная китайская медицина",
        "Традыцыйная кітайская медыцына",
        "Traditional Chinese medicine",
        "中医药",
    ),
    "medical_reagents": _n(
        "Медицинские реагенты", "Медыцынскія рэагенты", "Medical reagents", "医用试剂"
    ),
    "education": _n("Образование", "Адукацыя", "Education", "教育"),
    "research": _n("Наука и исследования", "Навука і даследаванні", "Research", "科研"),
    "tourism": _n("Туризм", "Турызм", "Tourism", "旅游"),
    "logistics": _n("Логистика", "Лагістыка", "Logistics", "物流"),
    "culture": _n("Культура", "Культура", "Culture", "文化"),
    "trade": _n("Торговля", "Гандаль", "Trade", "贸易"),
}

PARTNERSHIP_STATUSES: Final[CodeList] = {
    "proposed": _n("Предложено", "Прапанавана", "Proposed", "已提议"),
    "negotiating": _n("Переговоры", "Перамовы", "Negotiating", "洽谈中"),
    "signed": _n("Подписано", "Падпісана", "Signed", "已签署"),
    "active": _n("Действует", "Дзейнічае", "Active", "执行中"),
    "suspended": _n("Приостановлено", "Прыпынена", "Suspended", "已暂停"),
    "terminated": _n("Прекращено", "Спынена", "Terminated", "已终止"),
}

# Allowed moves from each status; setting the current status again is not a move.
PARTNERSHIP_TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "proposed": ("negotiating", "terminated"),
    "negotiating": ("signed", "terminated"),
    "signed": ("active", "terminated"),
    "active": ("suspended", "terminated"),
    "suspended": ("active", "terminated"),
    "terminated": (),
}

REAGENT_CATEGORIES: Final[CodeList] = {
    "pcr": _n("ПЦР-диагностика", "ПЛР-дыягностыка", "PCR", "PCR（聚合酶链式反应）"),
    "elisa": _n(
        "Иммуноферментный анализ (ИФА)",
        "Імунаферментны аналіз (ІФА)",
        "ELISA",
        "酶联免疫吸附试验（ELISA）",
    ),
    "clinical_chemistry": _n(
        "Клиническая биохимия", "Клінічная біяхімія", "Clinical chemistry", "临床生化"
    ),
    "hematology": _n("Гематология", "Гематалогія", "Hematology", "血液学"),
    "immunochemistry": _n("Иммунохимия", "Імунахімія", "Immunochemistry", "免疫化学"),
    "coagulation": _n("Коагулология (гемостаз)", "Каагулалогія (гемастаз)", "Coagulation", "凝血"),
    "microbiology": _n("Микробиология", "Мікрабіялогія", "Microbiology", "微生物学"),
    "rapid_test": _n("Экспресс-тесты", "Экспрэс-тэсты", "Rapid tests", "快速检测"),
    "urinalysis": _n("Анализ мочи", "Аналіз мачы", "Urinalysis", "尿液分析"),
    "blood_grouping": _n(
        "Определение группы крови",
        "Вызначэнне групы крыві",
        "Blood grouping",
        "血型鉴定",
    ),
    "histology": _n("Гистология", "Гісталогія", "Histology", "组织学"),
    "other": _n("Другое", "Іншае", "Other", "其他"),
}

REAGENT_AVAILABILITY: Final[CodeList] = {
    "in_stock": _n("В наличии", "У наяўнасці", "In stock", "现货"),
    "on_order": _n("Под заказ", "Пад заказ", "On order", "需订货"),
    "discontinued": _n("Снят с производства", "Зняты з вытворчасці", "Discontinued", "已停产"),
}

REGISTRATION_STATUSES: Final[CodeList] = {
    "valid": _n("Действует", "Дзейнічае", "Valid", "有效"),
    "expiring": _n("Истекает", "Заканчваецца", "Expiring", "即将到期"),
    "expired": _n("Истёк", "Скончыўся", "Expired", "已过期"),
    "unregistered": _n("Не зарегистрирован", "Не зарэгістраваны", "Unregistered", "未注册"),
}

CONTACT_ROLES: Final[CodeList] = {
    "coordinator": _n("Координатор", "Каардынатар", "Coordinator", "协调人"),
    "delegate": _n("Член делегации", "Член дэлегацыі", "Delegate", "代表团成员"),
    "interpreter": _n("Переводчик", "Перакладчык", "Interpreter", "翻译"),
    "medical_specialist": _n(
        "Медицинский специалист",
        "Медыцынскі спецыяліст",
        "Medical specialist",
        "医学专家",
    ),
    "procurement": _n("Закупки", "Закупкі", "Procurement", "采购"),
    "logistics": _n("Логистика", "Лагістыка", "Logistics", "物流"),
    "researcher": _n("Исследователь", "Даследчык", "Researcher", "研究人员"),
    "student": _n("Студент", "Студэнт", "Student", "学生"),
}

EXCHANGE_KINDS: Final[CodeList] = {
    "meeting": _n("Встреча", "Сустрэча", "Meeting", "会见"),
    "delegation_visit": _n("Визит делегации", "Візіт дэлегацыі", "Delegation visit", "代表团访问"),
    "video_call": _n("Видеоконференция", "Відэаканферэнцыя", "Video call", "视频通话"),
    "correspondence": _n("Переписка", "Перапіска", "Correspondence", "函件往来"),
    "student_exchange": _n("Студенческий обмен", "Студэнцкі абмен", "Student exchange", "学生交流"),
    "training": _n("Обучение", "Навучанне", "Training", "培训"),
    "conference": _n("Конференция", "Канферэнцыя", "Conference", "会议"),
    "telemedicine": _n(
        "Телемедицинская консультация",
        "Тэлемедыцынская кансультацыя",
        "Telemedicine consultation",
        "远程医疗会诊",
    ),
}

EXCHANGE_STATUSES: Final[CodeList] = {
    "planned": _n("Запланировано", "Запланавана", "Planned", "计划中"),
    "held": _n("Проведено", "Праведзена", "Held", "已举行"),
    "cancelled": _n("Отменено", "Адменена", "Cancelled", "已取消"),
}

KEY_ROLES: Final[CodeList] = {
    "admin": _n("Администратор", "Адміністратар", "Administrator", "管理员"),
    "clerk": _n("Делопроизводитель", "Справавод", "Clerk", "办事员"),
    "integration": _n("Интеграция", "Інтэграцыя", "Integration", "系统集成"),
    "procurement": _n("Закупки", "Закупкі", "Procurement", "采购"),
}

# Names of ISO 3166-1, 639-1 and 4217 codes besides pycountry's English one, for the codes
# this registry's users meet most.
COUNTRY_NAMES: Final[CodeList] = {
    "BY": _i("Беларусь", "Беларусь", "白俄罗斯"),
    "CN": _i("Китай", "Кітай", "中国"),
    "RU": _i("Россия", "Расія", "俄罗斯"),
    "KZ": _i("Казахстан", "Казахстан", "哈萨克斯坦"),
    "AM": _i("Армения", "Арменія", "亚美尼亚"),
    "KG": _i("Киргизия", "Кыргызстан", "吉尔吉斯斯坦"),
    "UZ": _i("Узбекистан", "Узбекістан", "乌兹别克斯坦"),
    "DE": _i("Германия", "Германія", "德国"),
    "FR": _i("Франция", "Францыя", "法国"),
    "IT": _i("Италия", "Італія", "意大利"),
    "CH": _i("Швейцария", "Швейцарыя", "瑞士"),
    "GB": _i("Великобритания", "Вялікабрытанія", "英国"),
    "US": _i("США", "ЗША", "美国"),
    "JP": _i("Япония", "Японія", "日本"),
    "KR": _i("Республика Корея", "Рэспубліка Карэя", "韩国"),
    "IN": _i("Индия", "Індыя", "印度"),
    "TR": _i("Турция", "Турцыя", "土耳其"),
    "PL": _i("Польша", "Польшча", "波兰"),
}

LANGUAGE_NAMES: Final[CodeList] = {
    "ru": _i("Русский", "Руская", "俄语"),
    "be": _i("Белорусский", "Беларуская", "白俄罗斯语"),
    "en": _i("Английский", "Англійская", "英语"),
    "zh": _i("Китайский", "Кітайская", "汉语"),
}

CURRENCY_NAMES: Final[CodeList] = {
    "BYN": _i("Белорусский рубль", "Беларускі рубель", "白俄罗斯卢布"),
    "CNY": _i("Китайский юань", "Кітайскі юань", "人民币"),
    "RUB": _i("Российский рубль", "Расійскі рубель", "俄罗斯卢布"),
    "KZT": _i("Казахстанский тенге", "Казахстанскі тэнге", "哈萨克斯坦坚戈"),
    "USD": _i("Доллар США", "Долар ЗША", "美元"),
    "EUR": _i("Евро", "Еўра", "欧元"),
}

# ISO 4217 minor units that are not 2; pycountry does not carry minor units.
CURRENCY_MINOR_DIGITS: Final[dict[str, int]] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}

# Metals, bond-market and accounting units, test and "no currency" codes: no price uses them.
NON_PRICE_CURRENCIES: Final[frozenset[str]] = frozenset(
    [
        "XAU",
        "XAG",
        "XPT",
        "XPD",
        "XDR",
        "XXX",
        "XTS",
        "XSU",
        "XUA",
        "XAD",
        "XBA",
        "XBB",
        "XBC",
        "XBD",
    ]
)
