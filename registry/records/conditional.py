"""ETags and the If-Match / If-None-Match rules of the contract."""

from flask import Response, request

from registry.errors import ApiError
from registry.records.declaration import Resource


def etag_of(resource: Resource, version: int) -> str:
    suffix = resource.etag_suffix() if resource.etag_suffix else ""
    return f'"{version}-{suffix}"' if suffix else f'"{version}"'


def _version_part(tag: str) -> str:
    return tag.strip('"').split("-", 1)[0]


def _tags(header: str) -> list[str]:
    return [t for t in (part.strip() for part in header.split(",")) if t]


def check_if_match(version: int) -> None:
    """412 unless If-Match (when sent) names the current version."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = _tags(header)
    # Strong comparison (RFC 9110 13.1.1): a weak tag (W/"1") never matches.
    strong = {_version_part(t) for t in tags if not t.startswith("W/")}
    if "*" in tags or str(version) in strong:
        return
    raise ApiError(
        412,
        f"The record is at version {version}; fetch it again and reapply your change.",
        title="Precondition Failed",
    )


def not_modified(etag: str) -> Response | None:
    """A 304 when If-None-Match already has this ETag."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return None
    tags = {t.removeprefix("W/") for t in _tags(header)}
    if "*" in tags or etag in tags:
        response = Response(status=304)
        response.headers["ETag"] = etag
        return response
    return None
