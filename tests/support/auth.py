"""Tokens for tests that call the API: every route but /health and /metrics needs one."""

from __future__ import annotations

import itertools

from hub.accounts.service import create_user_with_token
from hub.container import Hub
from kernel.actors import Role

_names = itertools.count()

# Test users are people who can sign (kernel/signatures.py): a password and a full name.
SIGN_PASSWORD = "sign-it-right-1"


def signature(meaning: str, password: str = SIGN_PASSWORD) -> dict[str, str]:
    """An electronic signature as a request body carries it."""
    return {"password": password, "meaning": meaning}


def bearer_headers(hub: Hub, role: Role = Role.ADMIN) -> dict[str, str]:
    """A new user of `role` and the Authorization header with their token."""
    with hub.writes() as session:
        name = f"test-{role.value}-{next(_names)}"
        issued = create_user_with_token(session, name, role, SIGN_PASSWORD, f"Tess {name}")
    return {"Authorization": f"Bearer {issued.token}"}
