"""ActivityStreams 2.0 on the wire: the JSON-LD context, media types, content negotiation and id helpers."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

AS_NAMESPACE = "https://www.w3.org/ns/activitystreams"
ACTIVITY_JSON = "application/activity+json"
LD_JSON = f'application/ld+json; profile="{AS_NAMESPACE}"'
# What we ask peers for when we fetch their actors, as Mastodon does.
ACCEPT = f"{ACTIVITY_JSON}, {LD_JSON}"

# The terms Mastodon reads beyond ActivityStreams itself (its own actor documents declare the same).
CONTEXT: list[Any] = [
    AS_NAMESPACE,
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
    },
]

ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})
MAX_URI = 2048

_AS2_TYPES = frozenset({"application/activity+json", "application/ld+json", "application/json"})


def negotiate(accept: str | None) -> str | None:
    """The AS2 media type to answer `accept` with, or None when the client prefers HTML (a browser).

    Quality values decide; a tie goes to AS2, so `*/*` and a missing header get
    JSON. `application/ld+json` counts only without a profile or with the
    ActivityStreams one, and is answered in kind.
    """
    if not accept:
        return ACTIVITY_JSON
    as2_quality = html_quality = 0.0
    answer = ACTIVITY_JSON
    for media_range in accept.split(","):
        media_type, params = _media_range(media_range)
        quality = _quality(params.get("q"))
        if media_type in _AS2_TYPES:
            if media_type == "application/ld+json" and AS_NAMESPACE not in params.get("profile", AS_NAMESPACE).split():
                continue
            if quality > as2_quality:
                as2_quality = quality
                answer = LD_JSON if media_type == "application/ld+json" else ACTIVITY_JSON
        elif media_type in ("text/html", "application/xhtml+xml", "text/*"):
            html_quality = max(html_quality, quality)
        elif media_type in ("*/*", "application/*"):
            as2_quality = max(as2_quality, quality)
            if media_type == "*/*":
                html_quality = max(html_quality, quality)
    if html_quality > as2_quality or as2_quality == 0:
        return None
    return answer


def _media_range(text: str) -> tuple[str, dict[str, str]]:
    media_type, *raw_params = text.split(";")
    params: dict[str, str] = {}
    for raw in raw_params:
        name, _, value = raw.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return media_type.strip().lower(), params


def _quality(raw: str | None) -> float:
    if raw is None:
        return 1.0
    try:
        return min(1.0, max(0.0, float(raw)))
    except ValueError:
        return 0.0


def as2_response(document: dict[str, Any], *, media_type: str = ACTIVITY_JSON, status: int = 200) -> Response:
    response = Response(orjson.dumps(document), status_code=status, media_type=media_type)
    response.headers["Vary"] = "Accept"
    return response


def id_of(value: Any) -> str | None:
    """The id an ActivityStreams property names: the value itself when a link, the `id` of an embedded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and _is_uri(value) else None


def _is_uri(value: str) -> bool:
    """An absolute http(s) URI short and plain enough to store: what we keep of a peer's ids."""
    return (
        len(value) <= MAX_URI
        and value.startswith(("https://", "http://"))
        and value.isascii()
        and value.isprintable()
        and " " not in value
    )


def ids_of(value: Any) -> list[str]:
    """The ids a property names, whether it holds one value or a list of them."""
    values = value if isinstance(value, list) else [value]
    return [uri for uri in (id_of(item) for item in values) if uri is not None]


def type_of(value: Any) -> str | None:
    """An object's type; of a list of types (JSON-LD allows it), the first."""
    if not isinstance(value, dict):
        return None
    kind = value.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    return kind if isinstance(kind, str) else None
