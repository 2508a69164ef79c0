"""Institution identifiers, checked and normalised by python-stdnum."""

from stdnum.by import unp
from stdnum.cn import uscc


def normalise_identifier(scheme: str, value: str) -> str:
    """The compact, check-digit-verified form; stdnum's ValidationError when invalid."""
    if scheme == "by_unp":
        return unp.validate(value)
    if scheme == "cn_uscc":
        return uscc.validate(value)
    return " ".join(value.split())
