"""A case-insensitive, read-only view of a request's header fields.

Signatures cover field values, so every field line must be kept: a mapping that
keeps only the last value of a repeated field would let two different messages
produce the same signature input. Callers pass whatever their framework has,
either a mapping (httpx, Starlette: their `items()` keep repeated lines or join
them with ", ", which is the same combined value) or (name, value) pairs.
"""

import re
from collections.abc import Iterable, Mapping

HeadersInput = Mapping[str, str] | Iterable[tuple[str, str]]
_OBS_FOLD = re.compile(r"[ \t]*\r?\n[ \t]+")


class HeaderFields:
    def __init__(self, headers: HeadersInput) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        self._lines: dict[str, list[str]] = {}
        for name, value in pairs:
            self._lines.setdefault(name.lower(), []).append(value)

    def replaced(self, fields: Mapping[str, str]) -> "HeaderFields":
        """A view where each of `fields` replaces any lines of the same name (for signing)."""
        view = HeaderFields(())
        view._lines = {name: list(lines) for name, lines in self._lines.items()}
        for name, value in fields.items():
            view._lines[name.lower()] = [value]
        return view

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._lines

    def get(self, name: str) -> str | None:
        """The combined field value (RFC 9110 section 5.3), or None when the field is absent.

        Each line loses its leading and trailing whitespace and obsolete line
        folding, then the lines are joined with ", " in the order received, as
        draft-cavage-12 section 2.3 and RFC 9421 section 2.1 both require.
        """
        lines = self._lines.get(name.lower())
        if lines is None:
            return None
        return ", ".join(_clean(line) for line in lines)


def _clean(value: str) -> str:
    return _OBS_FOLD.sub(" ", value).strip(" \t")
