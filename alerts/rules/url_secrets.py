"""Recipients' apprise URLs carry passwords and tokens: shown masked, written only.

apprise puts secrets in the password (`mailtos://alarms:PASSWORD@smtp...`), in the
host and path (`wecombot://BOTKEY`, `tgram://BOTTOKEN/chatid`,
`slack://tokenA/tokenB/tokenC`) and in query values (`?pass=`, `?token=`, `?key=`,
json's `+Header=` ...). `mask_url` keeps what tells a reader where a message goes
and masks everything that may be a secret, erring on the side of masking: the
scheme; a user name given with a password; a host only when it is a network host
(dotted name, IP address, localhost); path parts only when they are e-mail
addresses, numbers (chat ids, phone numbers) or `#channel`s; query values only for
a few plain keys (`to`, `cc`, `from`, `format`...). apprise's own
`url(privacy=True)` was not used: it rewrites the URL into its canonical form and
leaves json's `+header` and `-param` values in clear.

A document sent back with a masked URL unchanged keeps the stored URL
(`restore_urls`), so GET -> PUT round-trips without anyone reading a secret.
Pure: no apprise, no IO.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

MASK = "***"

_HOST = re.compile(
    r"^(?:localhost|\[[0-9A-Fa-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3}"
    r"|(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})(?::\d{1,5})?$")
_PLAIN_SEGMENT = re.compile(
    r"^(?:[+-]?\d{1,15}|#[\w.-]{1,80}|[\w.+-]{1,64}(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,63})$")
_PLAIN_KEYS = frozenset({"to", "cc", "bcc", "from", "name", "format", "mode", "priority",
                         "smtp", "method", "overflow", "lang", "region"})


@dataclass(frozen=True, slots=True)
class Masked:
    url: str
    secrets: tuple[str, ...]  # the parts masked, to scrub from error texts


def _split(url: str) -> tuple[str, str, str] | None:
    if "://" not in url:
        return None
    scheme, rest = url.split("://", 1)
    rest, _, query = rest.partition("?")
    return scheme, rest, query


def mask(url: str) -> Masked:
    parts = _split(url)
    if parts is None:
        return Masked(MASK, (url,))
    scheme, rest, query = parts
    secrets: list[str] = []

    def hide(value: str) -> str:
        if value:
            secrets.append(value)
        return MASK if value else value

    netloc, slash, path = rest.partition("/")
    userinfo, at, host = netloc.rpartition("@")
    shown_user = ""
    if at:
        user, colon, password = userinfo.partition(":")
        # A user name with a password is an account; alone it is often a token
        # (`dingtalk://SECRET@TOKEN`, `ntfys://TOKEN@ntfy.sh`).
        shown_user = f"{user}:{hide(password)}" if colon else hide(user)
        shown_user += "@"
    shown_host = host if _HOST.match(host) else hide(host)
    shown_path = "/".join(s if not s or _PLAIN_SEGMENT.match(s) else hide(s)
                          for s in path.split("/"))
    shown_query = []
    for pair in query.split("&") if query else []:
        key, equals, value = pair.partition("=")
        if not equals:
            shown_query.append(hide(key))
        elif key.lower() in _PLAIN_KEYS:
            shown_query.append(pair)
        else:
            shown_query.append(f"{key}={hide(value)}")
    shown = f"{scheme}://{shown_user}{shown_host}{slash}{shown_path}"
    if shown_query:
        shown += "?" + "&".join(shown_query)
    return Masked(shown, tuple(secrets))


def mask_url(url: str) -> str:
    """The URL with its possible secrets replaced by `***`."""
    return mask(url).url


def scrub(text: str, url: str) -> str:
    """`text` (an error message) without the URL or any of its secret parts."""
    pieces = {url, *mask(url).secrets}
    pieces |= {unquote(p) for p in pieces}
    for piece in sorted(pieces, key=len, reverse=True):
        if len(piece) >= 3:  # a 1-2 character "secret" would blank out ordinary words
            text = text.replace(piece, MASK)
    return text


def mask_recipients(document: dict[str, Any]) -> dict[str, Any]:
    """A rules document (as dumped) with every recipient URL masked."""
    recipients = document.get("recipients")
    if not isinstance(recipients, Mapping):
        return document
    masked = {name: ({**group, "urls": [mask_url(u) for u in group.get("urls", [])]}
                     if isinstance(group, Mapping) else group)
              for name, group in recipients.items()}
    return {**document, "recipients": masked}


class UnknownMaskedUrl(ValueError):
    """A masked URL that matches no stored URL (or several different ones)."""


def restore_urls(document: Any, stored: Iterable[tuple[str, int, str]]) -> Any:
    """`document` with each URL that is a stored URL's mask replaced by that URL.

    `stored` is (group, index, url) of the rules in force. The stored URL at the same
    group and place wins; else the one stored URL with that mask. A URL containing
    `***` that matches none is refused (UnknownMaskedUrl, naming the field): it would
    send to a literal `***`. Anything not a rules document is returned as it is (the
    validation that follows says what is wrong with it)."""
    if not isinstance(document, dict) or not isinstance(document.get("recipients"), dict):
        return document
    by_place: dict[tuple[str, int], str] = {}
    by_mask: dict[str, set[str]] = {}
    for group, index, url in stored:
        by_place[(group, index)] = url
        by_mask.setdefault(mask_url(url), set()).add(url)
    recipients = {}
    for name, group in document["recipients"].items():
        urls = group.get("urls") if isinstance(group, dict) else None
        if not isinstance(urls, list):
            recipients[name] = group
            continue
        restored = []
        for index, url in enumerate(urls):
            if isinstance(url, str) and MASK in url:
                same_place = by_place.get((name, index))
                candidates = by_mask.get(url, set())
                if same_place is not None and same_place in candidates:
                    url = same_place
                elif len(candidates) == 1:
                    [url] = candidates
                else:
                    why = ("matches several stored URLs" if candidates
                           else "matches no stored URL")
                    raise UnknownMaskedUrl(
                        f"recipients.{name}.urls[{index}]: a masked URL (with {MASK}) that "
                        f"{why}: send it unchanged as shown, or write the full URL")
            restored.append(url)
        recipients[name] = {**group, "urls": restored}
    return {**document, "recipients": recipients}
