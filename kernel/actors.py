"""Who does something: roles and the actor recorded on every change. Plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Roles are ordered: a supervisor may do what an operator may, an admin everything."""
        return self.rank >= needed.rank


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something; recorded on every move and status change. `via` says
    through what, for the audit trail: `web` (a page's login), `token <id> <label>`
    (an API token), `cli`, `alarm engine`..."""

    user_id: int
    username: str
    role: Role
    via: str = ""
