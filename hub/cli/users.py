"""`stockwarden user`: users and their API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hub.cli.common import (
    ConfigOption,
    DatabaseUrlOption,
    DataDirOption,
    account_hub,
    fail,
)

if TYPE_CHECKING:
    from hub.accounts.schemas import TokenPublic

user_app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)


def _print_token(issued: TokenPublic) -> None:
    typer.echo(f"user {issued.username} ({issued.role.value}); API token, shown only now:")
    typer.echo(issued.token)


@user_app.command("create-admin")
def user_create_admin(
    username: Annotated[str, typer.Option(help="Login name of the first administrator.")],
    password: Annotated[
        bool, typer.Option("--password", help="Also set a password for the web login (asked).")
    ] = False,
    full_name: Annotated[str | None, typer.Option(
        "--full-name", help="The person's full name (their signatures show it); needed "
        "with --password.")] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create an administrator and print their API token (once)."""
    user_create(username=username, role="admin", password=password, full_name=full_name,
                config=config, data_dir=data_dir, database_url=database_url)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="Login name.")],
    role: Annotated[str, typer.Option(help="operator, supervisor or admin.")] = "operator",
    password: Annotated[
        bool, typer.Option("--password", help="Also set a password for the web login (asked).")
    ] = False,
    full_name: Annotated[str | None, typer.Option(
        "--full-name", help="The person's full name (their signatures show it); needed "
        "with --password.")] = None,
    machine: Annotated[bool, typer.Option(
        "--machine", help="A machine account (a gateway, an integration): API tokens only, "
        "no password, no page login.")] = False,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create a user and print their API token (once)."""
    from hub.accounts.password_policy import account_rules
    from hub.accounts.service import check_full_name, create_user_with_token
    from kernel.actors import Role
    from kernel.errors import DomainError

    try:
        wanted = Role(role)
    except ValueError:
        raise fail(f"role must be one of {', '.join(r.value for r in Role)}") from None
    # Built first, so that the database it names is said before the password is asked.
    if machine and password:
        raise fail("a machine account has no password: it holds API tokens only")
    hub = account_hub(config, data_dir, database_url)
    try:
        check_full_name("asked" if password else None, full_name,
                        "machine" if machine else "person")
        secret = None
        if password:
            secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        with hub.writes() as session:
            _print_token(create_user_with_token(
                session, username, wanted, secret, full_name,
                kind="machine" if machine else "person",
                policy=account_rules(hub.settings).password))
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        hub.stop()


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Option(help="Whose token.")], config: ConfigOption = None,
    data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None,
) -> None:
    """Issue another API token for a user (printed once)."""
    from hub.accounts.service import new_token
    from kernel.errors import DomainError

    hub = account_hub(config, data_dir, database_url)
    try:
        with hub.writes() as session:
            _print_token(new_token(session, username, label="cli").get())
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        hub.stop()


@user_app.command("update")
def user_update(
    username: Annotated[str, typer.Argument(help="Whose account.")],
    role: Annotated[str | None, typer.Option(help="operator, supervisor or admin.")] = None,
    active: Annotated[bool | None, typer.Option(
        "--active/--inactive", help="Reactivate or deactivate (revokes all their tokens).",
    )] = None,
    unlock: Annotated[bool, typer.Option(
        "--unlock", help="Lift a lockout after wrong passwords in a row.")] = False,
    full_name: Annotated[str | None, typer.Option(
        "--full-name", help="Set the person's full name (their signatures show it).")] = None,
    password: Annotated[bool, typer.Option(
        "--password", help="Set a new password (asked; the password policy applies).")] = False,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Change a user's role, deactivate, unlock them or set a new password; the last
    active admin stays an admin. On the audit trail as the operating system's user."""
    from hub.accounts.password_policy import account_rules
    from hub.accounts.service import update_user
    from kernel.actors import Role
    from kernel.errors import DomainError

    try:
        wanted = Role(role) if role is not None else None
    except ValueError:
        raise fail(f"role must be one of {', '.join(r.value for r in Role)}") from None
    hub = account_hub(config, data_dir, database_url)
    try:
        secret = None
        if password:
            secret = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
        with hub.writes() as session:
            user = update_user(session, username, role=wanted, active=active, unlock=unlock,
                               password=secret, full_name=full_name,
                               policy=account_rules(hub.settings).password).get()
            typer.echo(f"user {user.username}: {user.role}, "
                       f"{'active' if user.active else 'inactive (tokens revoked)'}")
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        hub.stop()


@user_app.command("tokens")
def user_tokens(
    username: Annotated[str, typer.Argument(help="Whose tokens.")], config: ConfigOption = None,
    data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None,
) -> None:
    """List a user's API tokens: id, label, created, expires, revoked (never the secret)."""
    from hub.accounts.service import list_tokens
    from kernel.errors import DomainError

    hub = account_hub(config, data_dir, database_url)
    try:
        with hub.sessions() as session:
            tokens = list_tokens(session, username)
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        hub.stop()
    typer.echo("id\tlabel\tcreated\texpires\tstate")
    for t in tokens:
        expires = t.expires_at.isoformat(timespec="seconds") if t.expires_at else "never"
        typer.echo(f"{t.id}\t{t.label}\t{t.created_at.isoformat(timespec='seconds')}\t"
                   f"{expires}\t{'revoked' if t.revoked else 'valid'}")


@user_app.command("revoke-token")
def user_revoke_token(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    token_id: Annotated[int, typer.Argument(help="The token's id (see `user tokens`).")],
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Revoke one API token; a running hub refuses it within token_cache_s."""
    from hub.accounts.service import revoke_token
    from kernel.errors import DomainError

    hub = account_hub(config, data_dir, database_url)
    try:
        with hub.writes() as session:
            revoke_token(session, username, token_id)
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        hub.stop()
    typer.echo(f"token {token_id} of {username} revoked")


@user_app.command("list")
def user_list(
    config: ConfigOption = None, data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the users: name, full name, role, person or machine, active, when the password
    was set."""
    from hub.accounts.service import list_users

    hub = account_hub(config, data_dir, database_url)
    try:
        with hub.sessions() as session:
            users = list_users(session)
    finally:
        hub.stop()
    typer.echo("user\tfull name\trole\tkind\tstate\tpassword set")
    for u in users:
        changed = (u.password_changed_at.isoformat(timespec="seconds")
                   if u.password_changed_at else "-")
        # A person without a full name cannot sign (kernel/signatures.py).
        name = u.full_name or ("-" if u.kind == "machine" else "(none: cannot sign)")
        typer.echo(f"{u.username}\t{name}\t{u.role.value}\t{u.kind}\t"
                   f"{'active' if u.active else 'inactive'}\t{changed}")
