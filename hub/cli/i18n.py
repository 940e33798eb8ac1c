"""`stockwarden i18n`: the pages' message catalogue (domain `web`, docs/i18n.md)."""

from __future__ import annotations

from typing import Annotated

import typer

i18n_app = typer.Typer(help="The pages' translations (zh-CN beside English).",
                       no_args_is_help=True)
LanguageOption = Annotated[str, typer.Option(
    "--language", "-l", help="The catalogue's language (kernel/locale/<ll_CC>).")]


@i18n_app.command("extract")
def i18n_extract(language: LanguageOption = "zh-CN") -> None:
    """Bring kernel/locale/<ll_CC>/LC_MESSAGES/web.po up to the texts marked in the
    templates, scripts and hub/web/*.py (new ones added empty, unmarked ones dropped,
    translations kept), then print every text still to translate (exit 1 if any)."""
    from hub.web.catalogue import po_path, report, update

    lacking = update(language)
    typer.echo(f"updated {po_path(language)}")
    _finish(report(lacking))


@i18n_app.command("check")
def i18n_check(language: LanguageOption = "zh-CN") -> None:
    """Print every marked text the catalogue lacks (untranslated or fuzzy) and every
    translation whose placeholders differ from its text; exit 1 if there is any.
    Changes nothing."""
    from hub.web.catalogue import missing, report, wrong_placeholders

    lines = [report(missing(language))] if missing(language) else []
    for text, translation in wrong_placeholders(language):
        lines.append(f"  [placeholders] {text!r} -> {translation!r}")
    _finish("\n".join(line for line in lines if line))


def _finish(words: str) -> None:
    if words:
        typer.echo(words)
        raise typer.Exit(1)
    typer.echo("every marked text is translated")
