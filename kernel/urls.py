"""URLs as they may appear in a log: the password of `scheme://user:password@host`
and the values of query parameters that carry secrets (`?token=…`) replaced by `***`,
as SQLAlchemy shows a database URL. Everything else stays, so the line still says
which host, port and account the hub uses."""

from __future__ import annotations

from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
# Query parameter names that carry a secret (lower case; matched as substrings).
SECRET_PARAMETERS = ("token", "password", "passwd", "pass", "secret", "key", "auth",
                     "signature", "sig", "credential")


def _secret(name: str) -> bool:
    name = name.lower()
    return any(word in name for word in SECRET_PARAMETERS)


def masked_url(url: str) -> str:
    """`url` with its secrets replaced by `***`; a string that does not parse as a URL
    is masked whole rather than shown."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, has_password, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if has_password else f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if _secret(k) else v) for k, v in pairs], safe="*")
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment))
