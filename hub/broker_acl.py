"""Broker accounts from the list of gateways: Mosquitto's password files and ACL file.

Each gateway gets its own account that may publish only under
``stockwarden/v1/{site}/{gateway}/(telemetry|scan|status)`` and read only its own
``.../scan-result``; the hub reads everything and writes alarms and scan results;
optional read-only accounts (e.g. for a dashboard) read the site. The accounts file
is validated like the gateway config, every problem as ``file: field: reason``.

Client ids are bound to accounts (docs/deploy.md, "Broker accounts"): gateways and
readers log in on the listener with `use_username_as_clientid`, whose password file
(`passwd`) holds only them, so each one's client id is its user name and none can
take another's session. The hub logs in on its own listener (`hub-passwd`), where it
chooses its client ids: one hub process has several connections (ingest, scans,
alarms) and several processes share a subscription group, each with its own ids.
Broker client ids are one namespace across listeners, so no gateway or reader may
be named like a hub client id (`hub.client_id_prefix`).

Password hashes are made by Debian's ``mosquitto_passwd -U`` when it is installed,
else here, in the same PBKDF2-SHA512 ``$7$`` format mosquitto 2 writes and reads
(tests check both against a real broker). The parsing and rendering are pure; the
file writing and the hashing are at the bottom.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contract.errors import ConfigError, describe, read_yaml
from contract.wire import ID_PATTERN, TOPIC_PREFIX, reserved_gateway_problem

GENERATE = "generate"
# The hub's default STOCKWARDEN_MQTT_CLIENT_ID; its other connections add -scans, -alarms.
HUB_CLIENT_ID_PREFIX = "stockwarden-hub"
GATEWAY_WRITES = ("telemetry", "scan", "status")
GATEWAY_READS = ("scan-result",)
# mosquitto 2's defaults for $7$ (PBKDF2-SHA512): 101 iterations, 12-byte salt.
PBKDF2_ITERATIONS = 101
SALT_BYTES = 12

Ident = Annotated[str, Field(pattern=ID_PATTERN)]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Secret(_Model):
    password: str | None = Field(
        None, description="'generate' (default), or the password itself"
    )
    password_env: str | None = Field(
        None, description="name of an environment variable holding the password"
    )

    @field_validator("password")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None:
            if not value:
                raise ValueError("empty; write 'generate' for a generated password")
            if _CONTROL.search(value):
                raise ValueError("contains a control character")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> _Secret:
        if self.password is not None and self.password_env is not None:
            raise ValueError("give password or password_env, not both")
        return self


def _mosquitto_username(value: str) -> str:
    # The password file is `user:hash`, one a line; an ACL line is `user <name>`.
    if ":" in value:
        raise ValueError("a Mosquitto user name cannot contain ':'")
    return value


class Account(_Secret):
    username: Ident

    _username = field_validator("username")(_mosquitto_username)


class HubAccount(_Secret):
    username: Ident = "hub"
    client_id_prefix: Ident = Field(
        HUB_CLIENT_ID_PREFIX,
        description="every hub process's STOCKWARDEN_MQTT_CLIENT_ID starts with it; no "
                    "gateway or reader may",
    )

    _username = field_validator("username")(_mosquitto_username)


class GatewayAccount(_Secret):
    id: Ident = Field(description="the gateway id: its config's `gateway`, and its user name")
    site: Ident | None = Field(None, description="its site, when not the file's `site`")

    @field_validator("id")
    @classmethod
    def _usable(cls, value: str) -> str:
        # The hub dead-letters every message of a gateway with a reserved id (any case).
        problem = reserved_gateway_problem(value)
        if problem:
            raise ValueError(f"{problem}; the hub would refuse every message of this gateway: "
                             "choose another gateway id")
        return _mosquitto_username(value)


class BrokerAccounts(_Model):
    site: Ident
    hub: HubAccount = HubAccount()
    gateways: Annotated[list[GatewayAccount], Field(min_length=1)]
    readers: list[Account] = Field(
        default_factory=list, description="read-only accounts, e.g. for a dashboard"
    )

    @field_validator("readers", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value  # a `readers:` key with only comments

    @model_validator(mode="after")
    def _unique_names(self) -> BrokerAccounts:
        names = [("hub.username", self.hub.username)]
        names += [(f"gateways[{i}].id", g.id) for i, g in enumerate(self.gateways)]
        names += [(f"readers[{i}].username", r.username) for i, r in enumerate(self.readers)]
        owners: dict[str, str] = {}
        for field, name in names:
            if name in owners:
                raise ValueError(f"{field}: {name} is also {owners[name]}")
            owners[name] = field
        prefix = self.hub.client_id_prefix
        for field, name in names[1:]:
            # A gateway's or reader's client id is its user name (use_username_as_clientid):
            # named like a hub client id, it would take over the hub's session.
            if name.lower().startswith(prefix.lower()):
                raise ValueError(
                    f"{field}: {name} starts with the hub's client id prefix {prefix!r} "
                    "(hub.client_id_prefix): its client id is its name, and it would take "
                    "over the hub's broker session; choose another name")
        return self


@dataclass(frozen=True, slots=True)
class Grant:
    """One account: its user name, the field of the file it came from, where its
    password comes from, and the topic filters it may read and write."""

    username: str
    field: str
    secret: _Secret
    reads: tuple[str, ...]
    writes: tuple[str, ...]


def parse_accounts(data: object, name: str = "broker-accounts.yaml") -> BrokerAccounts:
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping with site, hub, gateways and readers")
    try:
        return BrokerAccounts.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(name, exc)) from None


def load_accounts(path: Path) -> BrokerAccounts:
    """The accounts file (YAML or TOML), or ConfigError naming file, field and reason."""
    if path.suffix == ".toml":
        try:
            data: object = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    else:
        data = read_yaml(path)
    return parse_accounts(data, path.name)


def sites(accounts: BrokerAccounts) -> list[str]:
    """The file's site first, then any other site a gateway names."""
    named = [accounts.site] + [g.site for g in accounts.gateways if g.site]
    return list(dict.fromkeys(named))


def grants(accounts: BrokerAccounts) -> list[Grant]:
    """Every account with the topics it may read and write, the hub first."""
    trees = [f"{TOPIC_PREFIX}/{site}" for site in sites(accounts)]
    result = [Grant(
        accounts.hub.username, "hub", accounts.hub,
        reads=(f"{TOPIC_PREFIX}/#",),
        writes=tuple(topic for tree in trees
                     for topic in (f"{tree}/alarms/#", f"{tree}/+/scan-result")),
    )]
    for index, gateway in enumerate(accounts.gateways):
        own = f"{TOPIC_PREFIX}/{gateway.site or accounts.site}/{gateway.id}"
        result.append(Grant(
            gateway.id, f"gateways[{index}]", gateway,
            reads=tuple(f"{own}/{kind}" for kind in GATEWAY_READS),
            writes=tuple(f"{own}/{kind}" for kind in GATEWAY_WRITES),
        ))
    for index, reader in enumerate(accounts.readers):
        result.append(Grant(reader.username, f"readers[{index}]", reader,
                            reads=tuple(f"{tree}/#" for tree in trees), writes=()))
    return result


def render_acl(accounts: BrokerAccounts, source: str = "") -> str:
    """Mosquitto's acl_file. An account may do only what its lines grant; a client
    without an account gets nothing (and `allow_anonymous false` keeps it out)."""
    lines = [
        "# Mosquitto ACL written by `stockwarden broker-acl`"
        + (f" from {source}" if source else "") + "; edit that file, not this one.",
        f"# site {', '.join(sites(accounts))}: each gateway writes only its own telemetry, "
        "scan and status",
        "# and reads only its own scan-result; the hub reads everything.",
        "",
    ]
    for grant in grants(accounts):
        lines.append(f"# {grant.field}")
        lines.append(f"user {grant.username}")
        lines += [f"topic read {topic}" for topic in grant.reads]
        lines += [f"topic write {topic}" for topic in grant.writes]
        lines.append("")
    return "\n".join(lines)


# --- passwords -----------------------------------------------------------------


def mosquitto_hash(password: str, salt: bytes | None = None,
                   iterations: int = PBKDF2_ITERATIONS) -> str:
    """`$7$iterations$salt$hash`, as mosquitto_passwd (mosquitto 2) writes it:
    PBKDF2-HMAC-SHA512 over the raw salt, 64 bytes, both in standard base64."""
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return (f"$7${iterations}${base64.b64encode(salt).decode()}"
            f"${base64.b64encode(digest).decode()}")


def read_password_file(path: Path) -> dict[str, str]:
    """user -> hash line of an existing password file (empty if there is none)."""
    if not path.is_file():
        return {}
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and ":" in line:
            user, _, hashed = line.partition(":")
            entries[user] = hashed
    return entries


Hasher = Literal["auto", "mosquitto_passwd", "python"]


@dataclass(frozen=True, slots=True)
class WrittenFiles:
    password_file: Path  # gateways and readers: the listener that binds client ids
    hub_password_file: Path  # the hub's own listener
    acl_file: Path
    generated: dict[str, str]  # user -> new password, to be shown once
    kept: list[str]  # users whose existing hash was kept ('generate', already there)
    hasher: str


HUB_PASSWORD_FILE = "hub-passwd"


def _password_of(grant: Grant, environ: dict[str, str]) -> str | None:
    """The password to hash, or None to generate one."""
    secret = grant.secret
    if secret.password_env is not None:
        value = environ.get(secret.password_env)
        if not value:
            raise ConfigError(f"{grant.field}.password_env: {secret.password_env} is not set "
                              f"or empty in the environment")
        return value
    if secret.password in (None, GENERATE):
        return None
    return secret.password


def _hash_with_mosquitto_passwd(binary: str, plain: dict[str, str]) -> dict[str, str]:
    # -U hashes a file of user:password lines in place: no password on a command line.
    with tempfile.TemporaryDirectory(prefix="stockwarden-passwd-") as folder:
        path = Path(folder) / "passwd"
        path.touch(mode=0o600)
        path.write_text("".join(f"{user}:{password}\n" for user, password in plain.items()))
        result = subprocess.run([binary, "-U", str(path)], capture_output=True, text=True)
        if result.returncode != 0:
            raise ConfigError(f"mosquitto_passwd -U failed: {result.stderr.strip()}")
        return read_password_file(path)


def _pick_hasher(hasher: Hasher) -> tuple[str, str | None]:
    binary = shutil.which("mosquitto_passwd")
    if hasher == "mosquitto_passwd" and binary is None:
        raise ConfigError("mosquitto_passwd is not installed (Debian: apt-get install mosquitto); "
                          "or use --hasher python")
    if hasher == "python" or binary is None:
        return "python", None
    return "mosquitto_passwd", binary


def parse_owner(spec: str) -> tuple[int, int]:
    """USER[:GROUP] or UID[:GID] -> (uid, gid); a user alone brings its own group."""
    import grp
    import pwd

    user, _, group = spec.partition(":")
    try:
        entry = None if user.isdigit() else pwd.getpwnam(user)
        uid = entry.pw_uid if entry is not None else int(user)
        if group:
            gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
        else:
            gid = entry.pw_gid if entry is not None else uid
    except (KeyError, ValueError):
        raise ConfigError(f"--chown {spec}: no such user or group") from None
    return uid, gid


def _write_atomically(path: Path, text: str, mode: int, owner: tuple[int, int] | None) -> None:
    # The broker reloads these files on SIGHUP: it must never see half of one.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    if owner is not None:
        os.chown(tmp, *owner)
    os.replace(tmp, path)


def write_broker_files(
    accounts: BrokerAccounts,
    password_file: Path,
    acl_file: Path,
    *,
    hub_password_file: Path | None = None,
    source: str = "",
    hasher: Hasher = "auto",
    rotate: frozenset[str] = frozenset(),
    owner: tuple[int, int] | None = None,
    environ: dict[str, str] | None = None,
) -> WrittenFiles:
    """Write the three files: `password_file` for gateways and readers, the hub's
    (default: `hub-passwd` beside it) and the ACL. A 'generate' account that an
    existing password file already has keeps its hash (running the command again
    changes no gateway's password), unless its user is in `rotate`. Accounts no
    longer listed are dropped."""
    environ = dict(os.environ) if environ is None else environ
    hub_password_file = hub_password_file or password_file.with_name(HUB_PASSWORD_FILE)
    all_grants = grants(accounts)
    unknown = rotate - {grant.username for grant in all_grants}
    if unknown:
        raise ConfigError(f"--rotate: no account {', '.join(sorted(unknown))} in the file")
    # Before the hub had its own file, its hash was in `password_file`: kept too.
    existing = {**read_password_file(password_file), **read_password_file(hub_password_file)}
    plain: dict[str, str] = {}
    generated: dict[str, str] = {}
    kept: list[str] = []
    for grant in all_grants:
        password = _password_of(grant, environ)
        if password is None:
            if grant.username in existing and grant.username not in rotate:
                kept.append(grant.username)
                continue
            password = generated[grant.username] = secrets.token_urlsafe(18)
        plain[grant.username] = password
    used, binary = _pick_hasher(hasher)
    if binary is not None and plain:
        hashes = _hash_with_mosquitto_passwd(binary, plain)
    else:
        hashes = {user: mosquitto_hash(password) for user, password in plain.items()}
    lines = [f"{g.username}:{hashes.get(g.username) or existing[g.username]}\n"
             for g in all_grants]
    # grants() puts the hub first: its line goes only into the hub listener's file.
    _write_atomically(hub_password_file, lines[0], 0o600, owner)
    _write_atomically(password_file, "".join(lines[1:]), 0o600, owner)
    _write_atomically(acl_file, render_acl(accounts, source), 0o644, owner)
    return WrittenFiles(password_file, hub_password_file, acl_file, generated, kept, used)
