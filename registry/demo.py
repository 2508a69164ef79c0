"""Demo data: the 2023 Minsk region – Chongqing road map meetings, plus generated listings.

Facts come from REFERENCE.md ("The 2023 meeting"); people carry names and positions only.
Everything goes through the shared lifecycle as actor "demo", so history and the feed show it.
A record already present (matched by its natural key) is left alone: loading twice changes
nothing the second time.
"""

from datetime import date, timedelta

from sqlalchemy import select

from registry import reference
from registry.contacts.api import contacts
from registry.exchanges.api import exchanges
from registry.extensions import db
from registry.institutions.api import institutions
from registry.partnerships.api import partnerships
from registry.records.declaration import Resource
from registry.records.lifecycle import save_record, sort_name
from registry.records.model import utcnow

ACTOR = "demo"
ROAD_MAP = {"number": "Road map 2023", "signed_on": "2023-08-10"}


def _place(kind: str, country: str, region: str, district: str | None = None) -> dict:
    where = {"kind": kind, "country": country, "region": region}
    return where | ({"district": district} if district else {})


INSTITUTIONS = {
    "minsk_executive": {
        "names": {
            "ru": "Минский областной исполнительный комитет",
            "be": "Мінскі абласны выканаўчы камітэт",
            "en": "Minsk Regional Executive Committee",
            "zh": "明斯克州执行委员会",
        },
        **_place("government_body", "BY", "BY-MI"),
        "city": "Минск",
    },
    "great_stone": {
        "names": {
            "ru": "Китайско-Белорусский индустриальный парк «Великий камень»",
            "be": "Кітайска-Беларускі індустрыяльны парк «Вялікі камень»",
            "en": "China–Belarus Industrial Park Great Stone",
            "zh": "中白工业园",
        },
        **_place("other", "BY", "BY-MI", "smolevichi"),
        "specialties": ["industrial_park", "logistics"],
    },
    "minsk_regional_hospital": {
        "names": {
            "ru": "Минская областная клиническая больница",
            "be": "Мінская абласная клінічная бальніца",
            "en": "Minsk Regional Clinical Hospital",
            "zh": "明斯克州临床医院",
        },
        **_place("hospital", "BY", "BY-MI", "minsk"),
    },
    "borisov_hospital": {
        "names": {
            "ru": "Борисовская центральная районная больница",
            "be": "Барысаўская цэнтральная раённая бальніца",
            "en": "Borisov Central District Hospital",
        },
        **_place("hospital", "BY", "BY-MI", "borisov"),
        "city": "Борисов",
    },
    "chongqing_congress": {
        "names": {
            "ru": "Постоянный комитет Собрания народных представителей г. Чунцин",
            "en": "Standing Committee of the Chongqing Municipal People's Congress",
            "zh": "重庆市人民代表大会常务委员会",
        },
        **_place("government_body", "CN", "CN-CQ"),
    },
    "chongqing_commerce": {
        "names": {
            "ru": "Комиссия по коммерции г. Чунцин",
            "en": "Chongqing Municipal Commission of Commerce",
            "zh": "重庆市商务委员会",
        },
        **_place("government_body", "CN", "CN-CQ"),
    },
    "chongqing_tcm_hospital": {
        "names": {
            "ru": "Чунцинская больница традиционной китайской медицины",
            "en": "Chongqing Traditional Chinese Medicine Hospital",
            "zh": "重庆市中医院",
        },
        **_place("tcm_hospital", "CN", "CN-CQ", "yuzhong"),
        "specialties": ["tcm"],
    },
}

CONTACTS = {
    "qu_qian": ("chongqing_congress", {
        "full_name": {"ru": "Цюй Цянь", "en": "Qu Qian", "zh": "屈谦"},
        "position": "Deputy Chair of the Standing Committee of the Chongqing Municipal "
        "People's Congress",
        "roles": ["delegate"],
    }),
    "xu_xincheng": ("chongqing_commerce", {
        "full_name": {"ru": "Сюй Синьчэн", "en": "Xu Xincheng"},
        "position": "Deputy Head of the Chongqing Municipal Commission of Commerce",
        "roles": ["delegate"],
    }),
    "denis_kurlenko": ("minsk_executive", {
        "full_name": {"ru": "Денис Курленко", "en": "Denis Kurlenko"},
        "position": "Deputy Chair of the Minsk Regional Executive Committee",
        "roles": ["coordinator"],
    }),
}  # fmt: skip

PARTNERSHIPS = {
    "road_map": ("minsk_executive", "chongqing_congress", {
        "areas": ["tcm", "medical_reagents", "logistics", "education", "research", "culture",
                  "tourism", "trade"],
        "status": "active",
        "agreement": ROAD_MAP,
        "notes": "Cooperation agreement of 2002, twinning relations since March 2017, road map "
        "signed on 10 August 2023 (also food and woodworking products).",
    }),
    "tcm": ("minsk_regional_hospital", "chongqing_tcm_hospital", {
        "areas": ["tcm"],
        "status": "signed",
        "agreement": ROAD_MAP,
        "notes": "Friendly relations in traditional Chinese medicine between Minsk-region "
        "medical institutions and a Chongqing hospital, named in the 2023 road map.",
    }),
}  # fmt: skip

EXCHANGES = [
    {
        "kind": "meeting",
        "title": "Meeting at the Great Stone industrial park",
        "summary": "The Chongqing side, led by Xu Xincheng, deputy head of the city's commerce "
        "department, met at the China–Belarus industrial park Great Stone.",
        "starts_on": "2023-06-29",
        "location": "China–Belarus Industrial Park Great Stone, Smolevichi District",
        "status": "held",
        "institutions": ["great_stone", "chongqing_commerce"],
        "contacts": ["xu_xincheng"],
    },
    {
        "kind": "delegation_visit",
        "title": "Road map signing with the Chongqing delegation",
        "summary": "A delegation of Chongqing led by Qu Qian, deputy chair of the Standing "
        "Committee of the Chongqing Municipal People's Congress, met the Minsk Regional "
        "Executive Committee (deputy chair Denis Kurlenko) and signed a road map.",
        "starts_on": "2023-08-10",
        "status": "held",
        "institutions": ["minsk_executive", "chongqing_congress"],
        "contacts": ["qu_qian", "denis_kurlenko"],
        "partnership": "road_map",
        "outcomes": [
            "Road map signed",
            "Traditional Chinese medicine: friendly relations between Minsk-region medical "
            "institutions and a Chongqing hospital",
            "Import-substituting medical reagents",
            "A logistics coordination centre at Great Stone",
            "Student exchanges; culture, education, science and tourism",
            "Food and woodworking products",
        ],
    },
]


def ensure(resource: Resource, payload: dict, *match) -> tuple[str, bool]:
    """The id of the record `match` finds, else of a new one made from `payload`."""
    found = db.session.scalar(select(resource.model.id).where(*match))
    if found is not None:
        return found, False
    record, _ = save_record(resource, payload=payload, actor=ACTOR)
    return record.id, True


def named(resource: Resource, payload: dict, *match) -> tuple[str, bool]:
    """ensure(), matching by the name the record sorts by (and `match`)."""
    key = resource.model.sort_name == sort_name(resource.names(payload))
    return ensure(resource, payload, key, *match)


def _count(created: dict, name: str, made: bool) -> None:
    created[name] = created.get(name, 0) + int(made)


def load_institutions(bodies: dict, created: dict) -> dict[str, str]:
    ids = {}
    for key, body in bodies.items():
        model = institutions.model
        ids[key], made = named(institutions, body, model.region == body["region"])
        _count(created, "institutions", made)
    return ids


def load() -> dict[str, int]:
    """Record the demo data once; returns how many records of each collection it created."""
    created: dict[str, int] = {}
    places = load_institutions(INSTITUTIONS, created)
    people = {}
    for key, (place, body) in CONTACTS.items():
        payload = {"institution_id": places[place], **body}
        people[key], made = named(contacts, payload, contacts.model.institution_id == places[place])
        _count(created, "contacts", made)
    ties = {}
    for key, (minsk, chongqing, body) in PARTNERSHIPS.items():
        sides = {
            "minsk_institution_id": places[minsk],
            "chongqing_institution_id": places[chongqing],
        }
        model = partnerships.model
        ties[key], made = ensure(
            partnerships,
            {**sides, **body},
            model.minsk_institution_id == places[minsk],
            model.chongqing_institution_id == places[chongqing],
            model.status != "terminated",
        )
        _count(created, "partnerships", made)
    for item in EXCHANGES:
        body = {
            k: v for k, v in item.items() if k not in ("institutions", "contacts", "partnership")
        }
        body["institution_ids"] = [places[key] for key in item["institutions"]]
        body["contact_ids"] = [people[key] for key in item["contacts"]]
        if item.get("partnership"):
            body["partnership_id"] = ties[item["partnership"]]
        _, made = named(
            exchanges, body, exchanges.model.starts_on == date.fromisoformat(body["starts_on"])
        )
        _count(created, "exchanges", made)
    created["reagents"] = load_listings(created)
    db.session.commit()
    return created


# Generated listings: two clearly fictitious suppliers, 25 listings each.
SUPPLIERS = {
    "demo_supplier_by": {
        "names": {
            "ru": "Демо: производитель реагентов (Минская область)",
            "en": "Demo reagent manufacturer (Minsk region)",
            "zh": "演示：试剂生产商（明斯克州）",
        },
        **_place("manufacturer", "BY", "BY-MI", "zhodino"),
    },
    "demo_supplier_cn": {
        "names": {
            "ru": "Демо: производитель реагентов (Чунцин)",
            "en": "Demo reagent manufacturer (Chongqing)",
            "zh": "演示：试剂生产商（重庆）",
        },
        **_place("manufacturer", "CN", "CN-CQ", "yubei"),
    },
}
LISTINGS_PER_SUPPLIER = 25
IMPORTED = [
    ("Roche Diagnostics", "CH"),
    ("Abbott", "US"),
    ("Siemens Healthineers", "DE"),
    ("Bio-Rad", "US"),
    ("Sysmex", "JP"),
]
AVAILABILITY = list(reference.REAGENT_AVAILABILITY)


def listing(supplier_id: str, country: str, n: int) -> dict:
    """The n-th generated listing of a supplier: every category, price, registration state."""
    category = list(reference.REAGENT_CATEGORIES)[n % len(reference.REAGENT_CATEGORIES)]
    label = reference.REAGENT_CATEGORIES[category]
    manufacturer, made_in = IMPORTED[n % len(IMPORTED)]
    # Valid, expired, expiring (from the day it is loaded) and unregistered listings.
    until = ["2028-12-31", "2024-06-30", str(utcnow().date() + timedelta(days=45)), None][n % 4]
    currency = "BYN" if country == "BY" else "CNY"
    return {
        "supplier_id": supplier_id,
        "names": {
            "ru": f"Набор реагентов: {label['ru']}, демо №{n + 1}",
            "en": f"{label['en']} reagent kit, demo no. {n + 1}",
            "zh": f"{label['zh']}试剂盒（演示 {n + 1} 号）",
        },
        "category": category,
        "catalog_number": f"DEMO-{country}-{n + 1:03d}",
        "tnved_code": "3006200000" if category == "blood_grouping" else "3822190000",
        "origin_country": country,
        "registration": {"number": f"DEMO-REG-{country}-{n + 1:04d}", "valid_until": until}
        if until
        else None,
        "substitutes": [
            {"product": f"Imported {label['en']} kit", "manufacturer": manufacturer,
             "country": made_in}
        ],
        "price": {"amount": f"{40 + n * 7.5:.2f}", "currency": currency},
        "pack": [24, 48, 96, 100][n % 4],
        "min_order_qty": 1 + n % 5,
        "lead_time_days": [7, 14, 30, 45][n % 4],
        "availability": AVAILABILITY[n % len(AVAILABILITY)],
    }  # fmt: skip


def load_listings(created: dict) -> int:
    """About 50 reagent listings from two demo suppliers; how many it created."""
    from registry.reagents.api import reagents  # built alongside; imported when used

    suppliers = load_institutions(SUPPLIERS, created)
    made_count = 0
    for key, supplier_id in suppliers.items():
        country = SUPPLIERS[key]["country"]
        for n in range(LISTINGS_PER_SUPPLIER):
            body = listing(supplier_id, country, n)
            model = reagents.model
            _, made = ensure(
                reagents,
                body,
                model.supplier_id == supplier_id,
                model.catalog_number == body["catalog_number"],
            )
            made_count += made
    return made_count
