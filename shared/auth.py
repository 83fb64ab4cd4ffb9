"""Who is asking: the viewer every service decides access by."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    client_id: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.client_id is not None

    def has_role(self, role: str) -> bool:
        return role in self.roles


ANONYMOUS = Viewer()
