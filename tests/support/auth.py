"""Tokens for tests that call the API: every route but /health and /metrics needs one."""

from __future__ import annotations

import itertools

from hub.accounts.service import create_user_with_token
from hub.container import Hub
from kernel.actors import Role

_names = itertools.count()


def bearer_headers(hub: Hub, role: Role = Role.ADMIN) -> dict[str, str]:
    """A new user of `role` and the Authorization header with their token."""
    with hub.writes() as session:
        issued = create_user_with_token(session, f"test-{role.value}-{next(_names)}", role)
    return {"Authorization": f"Bearer {issued.token}"}
