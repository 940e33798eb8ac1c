"""Who signs: the signer's password checked again, as login checks it (scrypt), before
the change it signs is made (kernel/signatures.py records the signature in the
change's transaction). A wrong password is refused (403 `signature_password_wrong`)
and counted toward the account's lockout like a wrong login, in its own transaction,
so two wrong in a row during signing are two failures in a row; a locked account
cannot sign. Only people sign: the account needs a password and a full name.

`signer_for` is the one check every signed route calls, once per request: a bulk
action (several lots released at once) calls it once and passes the one `Signer` to
its use case, which signs the list."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hub.accounts import repository as repo
from hub.accounts.lockout import CLEAR, LockoutPolicy, Standing, locked_for
from hub.accounts.service import count_failure, verify_password
from kernel import signatures
from kernel.actors import Actor
from kernel.errors import Forbidden, TooManyAttempts
from kernel.signatures import SignatureIn, Signer
from kernel.uow import unit_of_work

_policy = LockoutPolicy()

# What a signed route may answer besides its own: for its `responses=`.
SIGNED: dict[int | str, dict[str, str]] = {
    403: {"description": "signature_password_wrong (counted toward the lockout), "
                         "full_name_required, signer_has_no_password, or role_required"},
    429: {"description": "account_locked: wrong passwords in a row (at login or signing) "
                         "locked the account; Retry-After says for how long"},
}


def configure(policy: LockoutPolicy) -> None:
    """The lockout policy wrong signing passwords count toward (the login's); set once
    by the hub at start."""
    global _policy
    _policy = policy


class SignaturePasswordWrong(Forbidden):
    # 403, not 401: the session stays valid, only this signature is refused.
    code = "signature_password_wrong"


class CannotSign(Forbidden):
    code = "signer_not_identified"


def signer_for(session: Session, actor: Actor, signature: SignatureIn | None, action: str,
               *, needed: bool = True) -> Signer | None:
    """The proven signer of `action`, or None when none was sent and none is needed
    (`needed` False, or the site does not require it). Raises 422
    `signature_required`, 422 `signature_meaning_not_allowed`, 403
    `signer_not_identified` (no full name, no password), 429 `account_locked`, 403
    `signature_password_wrong` (counted toward the lockout)."""
    if signature is None:
        signatures.need(action, None, when=needed)
        return None
    signatures.check_meaning(action, signature.meaning)
    try:
        return _check(session, actor, signature, action).get()
    except SignaturePasswordWrong:
        count_failure(session, actor.username, _policy)
        raise


@unit_of_work()
def _check(session: Session, actor: Actor, signature: SignatureIn, action: str) -> Signer:
    user = repo.user_named(session, actor.username)
    if user is None or user.id != actor.user_id or not user.active:
        raise CannotSign("%(user)s is not an active user", code="signer_not_identified",
                         user=actor.username)
    if not user.password_hash:
        raise CannotSign(
            "%(user)s has no password (a machine account): only a person with a "
            "password signs", code="signer_has_no_password", user=user.username)
    if not (user.full_name or "").strip():
        raise CannotSign(
            "%(user)s has no full name, which a signature shows: ask an admin to "
            "set it (PATCH /api/v1/users/{name} {\"full_name\": ...} or `stockwarden user "
            "update --full-name`)", code="full_name_required", user=user.username)
    if wait := locked_for(Standing(user.failed_logins or 0, user.locked_until),
                          datetime.now(UTC)):
        raise TooManyAttempts(
            "%(user)s is locked after %(n)s wrong passwords in a row; try again in "
            "%(minutes)s min or ask an admin to unlock the account",
            retry_after_s=wait, code="account_locked", user=user.username,
            n=user.failed_logins, minutes=max(1, wait // 60))
    if not verify_password(signature.password, user.password_hash):
        raise SignaturePasswordWrong(
            "wrong password for %(user)s's signature; nothing was changed "
            "(wrong passwords in a row lock the account)", user=user.username)
    if user.failed_logins:  # a right password ends the count, as at login
        user.failed_logins, user.locked_until = CLEAR.failed, CLEAR.locked_until
    return Signer(user.id, user.username, user.full_name.strip(), signature.meaning, action,
                  actor.via)
