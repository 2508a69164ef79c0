"""Every code list of the registry as data, the ISO lookups, and the /reference document."""

from functools import cache
from typing import Any

import pycountry

from registry.reference.codes import (
    CONTACT_ROLES,
    COUNTRY_NAMES,
    CURRENCY_MINOR_DIGITS,
    CURRENCY_NAMES,
    EXCHANGE_KINDS,
    EXCHANGE_STATUSES,
    IDENTIFIER_SCHEMES,
    INSTITUTION_KINDS,
    INSTITUTION_STATUSES,
    KEY_ROLES,
    LANGUAGE_NAMES,
    NON_PRICE_CURRENCIES,
    PARTNERSHIP_AREAS,
    PARTNERSHIP_STATUSES,
    PARTNERSHIP_TRANSITIONS,
    REAGENT_AVAILABILITY,
    REAGENT_CATEGORIES,
    REGISTRATION_STATUSES,
    CodeList,
)
from registry.reference.regions import DISTRICTS, LISTED_REGIONS, REGION_NAMES

__all__ = [
    "CONTACT_ROLES",
    "EXCHANGE_KINDS",
    "EXCHANGE_STATUSES",
    "IDENTIFIER_SCHEMES",
    "INSTITUTION_KINDS",
    "INSTITUTION_STATUSES",
    "KEY_ROLES",
    "PARTNERSHIP_AREAS",
    "PARTNERSHIP_STATUSES",
    "PARTNERSHIP_TRANSITIONS",
    "REAGENT_AVAILABILITY",
    "REAGENT_CATEGORIES",
    "REGISTRATION_STATUSES",
    "currency_minor_digits",
    "districts_of",
    "is_country",
    "is_currency",
    "is_district",
    "is_language",
    "is_region",
    "reference_document",
    "region_names",
]

_LANGUAGE_ORDER = ("ru", "be", "en", "zh")

# The API's codes come from REFERENCE.md; some pycountry releases spell them differently.
_SUBDIVISION_SPELLINGS = {"CN-CQ": "CN-50"}


@cache
def _countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> English short name."""
    return {country.alpha_2: country.name for country in pycountry.countries}


@cache
def _subdivisions() -> dict[str, tuple[str, str]]:
    """ISO 3166-2 code (top level and children) -> (country code, English name)."""
    found = {sub.code: (sub.country_code, sub.name) for sub in pycountry.subdivisions}
    for api_code, other_spelling in _SUBDIVISION_SPELLINGS.items():
        if api_code not in found and other_spelling in found:
            found[api_code] = found[other_spelling]
    return found


@cache
def _languages() -> dict[str, str]:
    """ISO 639-1 code -> English name."""
    return {lang.alpha_2: lang.name for lang in pycountry.languages if hasattr(lang, "alpha_2")}


@cache
def _currencies() -> dict[str, str]:
    """ISO 4217 code usable for a price -> English name."""
    return {
        cur.alpha_3: cur.name
        for cur in pycountry.currencies
        if cur.alpha_3 not in NON_PRICE_CURRENCIES
    }


def _ordered(names: dict[str, str]) -> dict[str, str]:
    return {lang: names[lang] for lang in _LANGUAGE_ORDER if lang in names}


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code, upper case."""
    return code in _countries()


def is_region(country: str, region: str) -> bool:
    """True when `region` is an ISO 3166-2 code (upper case) of a subdivision of `country`."""
    found = _subdivisions().get(region)
    return found is not None and found[0] == country


def is_subdivision(code: str) -> bool:
    """True for an ISO 3166-2 code (upper case) of any country's subdivision."""
    return code in _subdivisions()


@cache
def _district_codes() -> frozenset[str]:
    return frozenset(code for districts in DISTRICTS.values() for code in districts)


def is_any_district(code: str) -> bool:
    """True when `code` is a district code of some region with a district list."""
    return code in _district_codes()


def districts_of(region: str) -> dict[str, dict[str, str]]:
    """District code -> names for a region with a district list; empty for any other region."""
    return {code: dict(names) for code, names in DISTRICTS.get(region, {}).items()}


def is_district(region: str, district: str) -> bool:
    """True when `district` is a district code of `region`."""
    return district in DISTRICTS.get(region, {})


def is_language(code: str) -> bool:
    """True for an ISO 639-1 two-letter code, lower case."""
    return code in _languages()


def is_currency(code: str) -> bool:
    """True for an ISO 4217 alphabetic code a price may use (no metals, funds or test codes)."""
    return code in _currencies()


def currency_minor_digits(code: str) -> int:
    """ISO 4217 minor unit digits of a currency (2 unless ISO says otherwise)."""
    return CURRENCY_MINOR_DIGITS.get(code, 2)


def region_names(code: str) -> dict[str, str]:
    """Names of a region in ru/be/en/zh where known, else its English name; {} if unknown."""
    if code in REGION_NAMES:
        return dict(REGION_NAMES[code])
    found = _subdivisions().get(code)
    return {"en": found[1]} if found else {}


def _entries(codes: CodeList) -> list[dict[str, Any]]:
    return [{"code": code, "names": dict(names)} for code, names in codes.items()]


def _iso_entries(english: dict[str, str], extra: CodeList) -> list[dict[str, Any]]:
    return [
        {"code": code, "names": _ordered({**extra.get(code, {}), "en": name})}
        for code, name in sorted(english.items())
    ]


def _region_entry(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "country": _subdivisions()[code][0],
        "names": region_names(code),
        "districts": [
            {"code": district, "names": names} for district, names in districts_of(code).items()
        ],
    }


@cache
def reference_document() -> dict[str, Any]:
    """The body of GET /api/v1/reference: every code list with its names; built once."""
    return {
        "institution_kinds": _entries(INSTITUTION_KINDS),
        "institution_statuses": _entries(INSTITUTION_STATUSES),
        "identifier_schemes": _entries(IDENTIFIER_SCHEMES),
        "partnership_areas": _entries(PARTNERSHIP_AREAS),
        "partnership_statuses": _entries(PARTNERSHIP_STATUSES),
        "partnership_transitions": {
            status: list(moves) for status, moves in PARTNERSHIP_TRANSITIONS.items()
        },
        "reagent_categories": _entries(REAGENT_CATEGORIES),
        "reagent_availability": _entries(REAGENT_AVAILABILITY),
        "registration_statuses": _entries(REGISTRATION_STATUSES),
        "contact_roles": _entries(CONTACT_ROLES),
        "exchange_kinds": _entries(EXCHANGE_KINDS),
        "exchange_statuses": _entries(EXCHANGE_STATUSES),
        "key_roles": _entries(KEY_ROLES),
        "countries": _iso_entries(_countries(), COUNTRY_NAMES),
        "regions": [_region_entry(code) for code in LISTED_REGIONS],
        "languages": _iso_entries(_languages(), LANGUAGE_NAMES),
        "currencies": [
            {"code": e["code"], "minor_digits": currency_minor_digits(e["code"]), **e}
            for e in _iso_entries(_currencies(), CURRENCY_NAMES)
        ],
    }
