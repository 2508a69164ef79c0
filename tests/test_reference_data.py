"""Code lists, ISO lookups and the /reference document of registry.reference."""

import orjson
import pytest

import registry.reference as ref

CODE_LISTS = {
    "institution_kinds": ref.INSTITUTION_KINDS,
    "institution_statuses": ref.INSTITUTION_STATUSES,
    "identifier_schemes": ref.IDENTIFIER_SCHEMES,
    "partnership_areas": ref.PARTNERSHIP_AREAS,
    "partnership_statuses": ref.PARTNERSHIP_STATUSES,
    "reagent_categories": ref.REAGENT_CATEGORIES,
    "reagent_availability": ref.REAGENT_AVAILABILITY,
    "registration_statuses": ref.REGISTRATION_STATUSES,
    "contact_roles": ref.CONTACT_ROLES,
    "exchange_kinds": ref.EXCHANGE_KINDS,
    "exchange_statuses": ref.EXCHANGE_STATUSES,
    "key_roles": ref.KEY_ROLES,
}


def test_code_lists_keep_the_contract_order_and_name_every_code_in_ru_en_zh():
    assert list(ref.PARTNERSHIP_STATUSES) == [
        "proposed",
        "negotiating",
        "signed",
        "active",
        "suspended",
        "terminated",
    ]
    assert list(ref.IDENTIFIER_SCHEMES) == ["by_unp", "cn_uscc", "other"]
    assert len(ref.INSTITUTION_KINDS) == 12 and len(ref.REAGENT_CATEGORIES) == 12
    for codes in CODE_LISTS.values():
        for names in codes.values():
            assert {"ru", "en", "zh"} <= names.keys()
            assert all(value.strip() for value in names.values())


def test_minsk_region_has_22_districts_and_zhodino():
    districts = ref.districts_of("BY-MI")
    assert len(districts) == 23
    assert sum(names["ru"].endswith(" район") for names in districts.values()) == 22
    assert districts["zhodino"] == {
        "ru": "г. Жодино",
        "be": "г. Жодзіна",
        "en": "Zhodino (city)",
    }
    assert districts["starye_dorogi"]["be"] == "Старадарожскі раён"


def test_chongqing_has_26_districts_8_counties_4_autonomous_counties():
    units = ref.districts_of("CN-CQ")
    english = [names["en"] for names in units.values()]
    assert len(units) == 38
    assert sum(name.endswith(" District") for name in english) == 26
    assert sum(name.endswith(" Autonomous County") for name in english) == 4
    assert sum(name.endswith(" County") for name in english) == 12
    assert units["nanan"] == {
        "ru": "район Наньань",
        "en": "Nan'an District",
        "zh": "南岸区",
    }
    assert units["zhongxian"]["en"] == "Zhong County"


def test_regions_without_a_list_have_no_districts():
    assert ref.districts_of("BY-HM") == {}
    assert ref.districts_of("XX-YY") == {}


@pytest.mark.parametrize(
    ("country", "region", "valid"),
    [
        ("BY", "BY-MI", True),
        ("BY", "BY-HM", True),
        ("CN", "CN-CQ", True),
        ("BY", "CN-CQ", False),
        ("CN", "BY-MI", False),
        ("BY", "by-mi", False),
        ("by", "BY-MI", False),
        ("CN", "cn-cq", False),
        ("BY", "BY-XX", False),
        ("AZ", "AZ-BAB", True),
        ("BY", "", False),
    ],
)
def test_is_region(country, region, valid):
    assert ref.is_region(country, region) is valid


def test_minsk_city_is_not_the_minsk_region():
    assert ref.region_names("BY-HM") != ref.region_names("BY-MI")
    assert not ref.is_district("BY-HM", "minsk")
    assert ref.is_district("BY-MI", "minsk")


@pytest.mark.parametrize(
    ("region", "district", "valid"),
    [
        ("BY-MI", "smolevichi", True),
        ("BY-MI", "zhodino", True),
        ("CN-CQ", "yuzhong", True),
        ("CN-CQ", "pengshui", True),
        ("BY-MI", "yuzhong", False),
        ("CN-CQ", "smolevichi", False),
        ("BY-MI", "Smolevichi", False),
        ("BY-BR", "berezino", False),
    ],
)
def test_is_district(region, district, valid):
    assert ref.is_district(region, district) is valid


def test_is_country():
    assert ref.is_country("BY") and ref.is_country("CN")
    assert not ref.is_country("by")
    assert not ref.is_country("BLR")
    assert not ref.is_country("XX")


def test_languages_are_two_letter_lower_case():
    assert ref.is_language("zh") and ref.is_language("be")
    assert not ref.is_language("zho")
    assert not ref.is_language("ZH")


@pytest.mark.parametrize(
    ("code", "digits"),
    [
        ("BYN", 2),
        ("CNY", 2),
        ("USD", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("CLF", 4),
    ],
)
def test_currency_minor_digits(code, digits):
    assert ref.currency_minor_digits(code) == digits


def test_metals_and_funds_are_no_price_currencies():
    assert ref.is_currency("BYN") and ref.is_currency("CNY") and ref.is_currency("JPY")
    for code in ("XAU", "XAG", "XDR", "XXX", "XTS", "XBA"):
        assert not ref.is_currency(code)
    assert not ref.is_currency("byn")


def test_region_names():
    assert ref.region_names("BY-MI")["zh"] == "明斯克州"
    assert ref.region_names("CN-CQ")["ru"] == "Чунцин"
    assert ref.region_names("CN-SC") == {"en": "Sichuan Sheng"}
    assert ref.region_names("nowhere") == {}


def test_reference_document_is_json_and_lists_every_code():
    document = ref.reference_document()
    decoded = orjson.loads(orjson.dumps(document))
    for key, codes in CODE_LISTS.items():
        assert [entry["code"] for entry in decoded[key]] == list(codes)
        assert [entry["names"] for entry in decoded[key]] == list(codes.values())
    assert decoded["partnership_transitions"]["active"] == ["suspended", "terminated"]
    assert decoded["partnership_transitions"]["terminated"] == []


def test_reference_document_regions_countries_languages_currencies():
    document = ref.reference_document()
    regions = {entry["code"]: entry for entry in document["regions"]}
    assert set(regions) == {
        "BY-BR",
        "BY-HO",
        "BY-HR",
        "BY-MA",
        "BY-MI",
        "BY-VI",
        "BY-HM",
        "CN-CQ",
    }
    assert regions["CN-CQ"]["country"] == "CN" and len(regions["CN-CQ"]["districts"]) == 38
    assert len(regions["BY-MI"]["districts"]) == 23 and regions["BY-HM"]["districts"] == []

    countries = {entry["code"]: entry["names"] for entry in document["countries"]}
    assert len(countries) == 249
    assert countries["BY"] == {
        "ru": "Беларусь",
        "be": "Беларусь",
        "en": "Belarus",
        "zh": "白俄罗斯",
    }

    languages = {entry["code"]: entry["names"] for entry in document["languages"]}
    assert languages["zh"]["en"] == "Chinese" and languages["be"]["ru"] == "Белорусский"
    assert all(len(code) == 2 for code in languages)

    currencies = {entry["code"]: entry for entry in document["currencies"]}
    assert currencies["BYN"]["minor_digits"] == 2 and currencies["JPY"]["minor_digits"] == 0
    assert "XAU" not in currencies and all(ref.is_currency(code) for code in currencies)
    assert ref.reference_document() is document
