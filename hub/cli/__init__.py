"""The one `stockwarden` command. Each command group is a module of this package
(serve: the hub and its schema; edge: the gateway agent and the simulator; demo;
broker: Mosquitto's accounts; users; imports; reports and purge; i18n), sharing only
hub/cli/common.py. Commands import their parts lazily, so that `stockwarden edge`
and `stockwarden sim` run on a gateway with only `[edge]`."""

from __future__ import annotations

from typing import Annotated

import typer

from hub import __version__
from hub.cli.audit import audit_app
from hub.cli.broker import broker_acl
from hub.cli.demo import demo
from hub.cli.edge import edge, sim
from hub.cli.i18n import i18n_app
from hub.cli.imports import import_app
from hub.cli.reports import purge, report_app
from hub.cli.serve import db_app, hub
from hub.cli.users import user_app

app = typer.Typer(
    name="stockwarden",
    help="Warehouse monitoring and inventory for regulated goods.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        typer.echo(f"stockwarden {__version__}")
        raise typer.Exit()


# The order here is the order `stockwarden --help` lists them in.
app.command()(purge)
app.command()(hub)
app.command()(demo)
app.command()(edge)
app.command()(sim)
app.command("broker-acl")(broker_acl)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import")
app.add_typer(report_app, name="report")
app.add_typer(audit_app, name="audit")
app.add_typer(i18n_app, name="i18n")


def main() -> None:
    app()


__all__ = ["app", "main"]
