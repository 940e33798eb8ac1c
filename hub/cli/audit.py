"""`stockwarden audit`: the audit trail's chain verified from the database."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli.common import ConfigOption, built_hub, fail, hub_settings

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    last: Annotated[int | None, typer.Option(
        min=1, help="Only the newest N rows (from the row before them).")] = None,
    config: ConfigOption = None,
) -> None:
    """Walk the hash chain and name the first row that does not match (exit 1).
    Prints the head (seq and hash): keep it outside the database, so that a removal
    of the newest rows shows too."""
    from kernel import audit

    hub = built_hub(hub_settings(config))
    try:
        with hub.sessions() as session:
            newest, count = audit.head(session)
            length = min(last, newest) if last is not None else count
            with typer.progressbar(length=length, label="verifying", file=None) as bar:
                found = audit.verify(session, last=last, progress=bar.update)
    finally:
        hub.engine.dispose()
    if found.broken is not None:
        raise fail(f"BROKEN: {found.broken} ({found.checked} rows before it verified)", code=1)
    typer.echo(f"the audit trail verifies: {found.checked} rows; head seq {found.head_seq} "
               f"hash {found.head_hash}")
