"""`stockwarden broker-acl`: Mosquitto's password files and ACL from the accounts file
(the work is in hub/broker_acl.py; docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from hub.cli.common import fail


def broker_acl(
    accounts: Annotated[Path, typer.Argument(
        help="Accounts file (YAML or TOML): site, hub, gateways, readers; "
             "see deploy/broker-accounts.yaml and docs/deploy.md.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Folder for the files `passwd` (gateways and readers), "
                            "`hub-passwd` (the hub's listener) and `acl` (mosquitto's "
                            "password_file and acl_file).")] = Path("."),
    check: Annotated[bool, typer.Option(
        "--check", help="Validate the accounts file, print the ACL, write nothing.")] = False,
    rotate: Annotated[list[str] | None, typer.Option(
        "--rotate", help="Generate a new password for this account although the password "
                         "file has one (repeatable).")] = None,
    hasher: Annotated[str, typer.Option(
        help="auto: mosquitto_passwd -U when installed (Debian's mosquitto package), else "
             "the same PBKDF2-SHA512 $7$ hash written here; or mosquitto_passwd, python.")
    ] = "auto",
    chown: Annotated[str | None, typer.Option(
        "--chown", help="Owner of the written files, USER[:GROUP] or UID[:GID], e.g. "
                        "mosquitto (Debian) or 1883:1883 (the eclipse-mosquitto image).")
    ] = None,
) -> None:
    """Write Mosquitto's password file and ACL from the list of gateways.

    A gateway may publish only under stockwarden/v1/SITE/GATEWAY/telemetry,
    .../scan and .../status, and read only its own .../scan-result.
    The hub reads stockwarden/v1/# and writes alarms and scan results.
    Readers (e.g. a dashboard) read the site and write nothing.
    Gateways and readers log in where their client id is their user name
    (use_username_as_clientid); the hub on its own listener (hub-passwd).

    A 'generate' password is made and printed once; running the command
    again keeps it (--rotate NAME makes a new one). Then reload the broker:
    systemctl reload mosquitto, or send it SIGHUP.

    Example: stockwarden broker-acl accounts.yaml --out /etc/mosquitto/stockwarden
    """
    from contract.errors import ConfigError
    from hub import broker_acl as acl

    if hasher not in ("auto", "mosquitto_passwd", "python"):
        raise fail("--hasher must be auto, mosquitto_passwd or python")
    chosen_hasher = cast("acl.Hasher", hasher)  # checked just above
    try:
        parsed = acl.load_accounts(accounts)
        if check:
            typer.echo(acl.render_acl(parsed, str(accounts)))
            return
        written = acl.write_broker_files(
            parsed, out / "passwd", out / "acl", source=str(accounts), hasher=chosen_hasher,
            rotate=frozenset(rotate or ()), owner=acl.parse_owner(chown) if chown else None,
        )
    except ConfigError as exc:
        raise fail(f"configuration error:\n{exc}") from None
    typer.echo(f"wrote {written.password_file} ({len(acl.grants(parsed)) - 1} gateway and reader "
               f"accounts), {written.hub_password_file} (the hub's), hashed by "
               f"{written.hasher}, and {written.acl_file}")
    if written.kept:
        typer.echo(f"kept the existing password of: {', '.join(written.kept)} "
                   f"(--rotate NAME for a new one)")
    if written.generated:
        typer.echo("generated passwords, shown only now (a gateway's goes into its "
                   "broker.password, the hub's into STOCKWARDEN_MQTT_URL):")
        for user, password in written.generated.items():
            typer.echo(f"  {user}: {password}")
