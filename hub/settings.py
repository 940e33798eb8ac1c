"""Hub settings: `STOCKWARDEN_*` environment variables over an optional config file.

Priority, highest first: explicit arguments, environment, `.env`, the config file
(`--config` or `STOCKWARDEN_CONFIG`; TOML or YAML), defaults. Validated once at
start; `load_settings` turns a validation error into `SettingsError` whose text
names the field and the reason.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

from contract.mqtt_settings import HubMqttSettings, TlsFiles

ENV_PREFIX = "STOCKWARDEN_"
DEFAULT_TSDB_TOKEN = "stockwarden"
# The file given to load_settings (--config); else STOCKWARDEN_CONFIG names one.
_config_file: ContextVar[Path | None] = ContextVar("stockwarden_config_file", default=None)


class SettingsError(ValueError):
    """Configuration that cannot be used; the text is meant for the operator."""


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        extra="forbid",
        validate_default=True,
    )

    env: Literal["local", "production"] = Field(
        "local", description="production refuses unsafe defaults such as the demo secrets"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "text"

    # --- relational store
    database_url: str = Field(
        "sqlite:///./stockwarden.db",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user:pw@host/db",
    )
    database_pool_size: int = Field(10, ge=1, le=200)

    # --- broker
    mqtt_url: str = Field("mqtt://127.0.0.1:1883", description="mqtt://[user:pw@]host:port")
    mqtt_client_id: str = Field("stockwarden-hub", min_length=1, max_length=64)
    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    mqtt_share_group: str | None = Field(
        None, description="MQTT 5 shared-subscription group: hub processes split the load"
    )
    mqtt_session_expiry_s: int = Field(
        7 * 24 * 3600, ge=0, description="how long the broker keeps our session while we are away"
    )
    # Twice a batch (ingest_batch_messages): the broker goes on sending the next batch
    # while one is committed, instead of waiting for its acknowledgements.
    mqtt_receive_maximum: int = Field(
        6000, ge=1, le=65535, description="QoS 1 messages in flight to the hub (MQTT 5)"
    )
    mqtt_ca_file: Path | None = None
    mqtt_site: str = Field("+", description="site to subscribe to; + for all")

    # --- time-series store (InfluxDB v2 write API: VictoriaMetrics, InfluxDB 2/3)
    tsdb_url: str | None = Field(None, description="e.g. http://127.0.0.1:8428; unset: SQL only")
    tsdb_token: str = DEFAULT_TSDB_TOKEN  # production refuses it
    tsdb_org: str = "stockwarden"
    tsdb_bucket: str = "stockwarden"
    tsdb_timeout_s: float = Field(10.0, gt=0)
    tsdb_batch_lines: int = Field(5000, ge=1)

    # --- ingest
    ingest_batch_messages: int = Field(3000, ge=1, le=65535)
    ingest_batch_readings: int = Field(
        10_000, ge=1, description="a batch closes at this many readings (memory and latency bound)"
    )
    ingest_batch_ms: int = Field(50, ge=1, le=10_000)
    ingest_commits_in_flight: int = Field(
        2, ge=1, le=2, description="batches committing at once on PostgreSQL: 2 lets the "
        "next batch write its own rows while the one before updates the shared ones (1: one "
        "at a time; SQLite is always 1)"
    )
    ingest_max_future_s: int = Field(300, ge=0, description="readings further ahead are refused")
    ingest_max_age_s: int = Field(
        30 * 24 * 3600, ge=60, description="readings older than this are refused"
    )
    ingest_dedup_retention_s: int = Field(
        35 * 24 * 3600, ge=3600, description="how long (gateway, seq) pairs are remembered"
    )

    # --- inventory and users
    login_token_lifetime_s: int = Field(
        12 * 3600, ge=60, description="how long a token from the web login is valid"
    )
    login_failure_window_s: float = Field(
        900.0, gt=0, le=86_400,
        description="failed logins are counted over this many seconds (docs/deploy.md)",
    )
    login_max_failures_per_address: int = Field(
        30, ge=1, description="failed logins from one client address within the window "
        "before every login from it is refused (429) until the window passes",
    )
    login_max_failures_per_user: int = Field(
        10, ge=1, description="failed logins for one user name within the window before "
        "every login for it is refused (429); a successful login clears the count",
    )
    login_lockout_failures: int = Field(
        5, ge=1, le=100, description="wrong passwords in a row that lock an account (its "
        "logins refused, the right password too) until the lockout passes or an admin "
        "unlocks it",
    )
    login_lockout_s: int = Field(
        15 * 60, ge=60, description="how long a locked account stays locked")
    token_cache_s: float = Field(
        10.0, ge=0, le=300,
        description="how long the hub remembers a checked token: a token revoked or a user "
                    "changed through another hub process or the CLI takes this long",
    )
    # Accounts (hub/accounts/password_policy.py; docs/compliance.md, "Accounts").
    password_min_length: int = Field(
        12, ge=8, le=128, description="the fewest characters a password may have (besides: "
        "not the user name, not a common password)")
    password_max_age_days: int = Field(
        0, ge=0, le=3650, description="a password older than this many days must be changed "
        "at the next login (0: passwords do not expire)")
    language: Literal["en", "zh-CN"] = Field(
        "en", description="the site's language: of the pages for users who chose none (and "
        "on the login page when the browser asks for none the hub has), of alarm messages "
        "for recipient groups that name none, of reports and API details when neither the "
        "request nor its user names one (docs/i18n.md)")
    session_idle_s: int = Field(
        900, ge=0, le=86_400, description="a page session with no user activity for this "
        "many seconds is ended by the hub; the pages show the login again (0: no idle "
        "timeout)")
    scan_separator_standins: str = Field(
        "|", description="characters a scanner sends instead of the GS1 group separator (ASCII 29)"
    )
    scan_location_prefix: str = Field("LOC:", min_length=1, description="prefix of bin labels")
    scan_command_prefix: str = Field("CMD:", min_length=1, description="prefix of command labels")
    scan_consumer: bool = Field(
        True, description="book the scans gateways publish over MQTT (the scan consumer)"
    )
    scan_consumer_workers: int = Field(
        4, ge=1, le=64, description="scans the consumer books at once (they wait on the database)"
    )
    scan_mqtt_client_id: str | None = Field(
        None, min_length=1, max_length=64,
        description="the scan consumer's MQTT client id; default: mqtt_client_id + '-scans'",
    )

    # --- alarms
    alarms_enabled: bool = Field(
        True, description="this hub process may run the alarm engine (on PostgreSQL one "
        "process leads at a time); false keeps it out"
    )
    alarm_rules: Path | None = Field(
        None, description="alarm rules file (YAML/TOML): the rules' source of truth while set; "
        "unset: rules are edited over the API",
    )
    site_timezone: str | None = Field(
        None, description="e.g. Asia/Shanghai: quiet hours and the daily digest (stored: UTC)"
    )
    site: str | None = Field(
        None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="site of the alarm topics; default: mqtt_site, else main",
    )
    public_url: str = Field(
        "http://127.0.0.1:8080", description="the hub as people reach it: acknowledge links"
    )
    excursion_tolerance_s: int = Field(
        1800, ge=0, description="critical excursion time before a zone's lots go on hold, "
        "unless the zone, its storage class or the rules say otherwise",
    )
    alarm_tick_s: float = Field(5.0, gt=0, le=60)
    alarm_reconcile_s: float = Field(60.0, gt=0)
    alarm_stock_check_s: float = Field(3600.0, gt=0)
    alarm_notify_attempts: int = Field(4, ge=1, le=20)
    alarm_notify_backoff_s: float = Field(2.0, gt=0)
    alarm_feed_wait_s: float = Field(
        25.0, ge=0, le=25, description="the longest a live-feed request (GET /alarms/changes) "
        "waits for news; a proxy that cuts idle requests sooner needs less",
    )
    alarm_test_interval_days: int = Field(
        30, ge=0, le=3650, description="days after the last test of every alarm path before "
        "the supervisors are reminded (system alarm alarm_test_due); 0 or off: no schedule")

    dispatch_consignee_required: bool = Field(
        False, description="every dispatch names its consignee (who receives it: a code or "
        "GLN from /api/v1/consignees), else 422 consignee_required; off: optional")

    # --- the audit trail (docs/compliance.md)
    audit_reason_required: list[
        Literal["limits", "alarm_rules", "qc_status", "sensor_zone", "purge", "import"]
    ] = Field(
        default_factory=lambda: ["limits", "alarm_rules", "qc_status", "sensor_zone", "purge",
                                 "import"],
        description="kinds of change refused (422 reason_required) without a reason",
    )
    audit_check_s: float = Field(
        300.0, gt=0, description="how often the hub verifies the audit trail's newest rows")
    audit_check_rows: int = Field(
        1000, ge=1, description="how many of the newest rows each check verifies")

    # --- electronic signatures (docs/compliance.md)
    signature_required: list[Literal[
        "lot_release", "lot_reject", "stocktake_approval", "alarm_rules", "limits", "alarm_ack",
        "report_signoff"]] = Field(
        default_factory=lambda: ["lot_release", "lot_reject", "stocktake_approval",
                                 "alarm_rules", "limits", "alarm_ack", "report_signoff"],
        description="actions refused (422 signature_required) without an electronic "
        "signature (the signer's password and its meaning)",
    )
    signature_ack_severities: list[Literal["info", "warning", "critical"]] = Field(
        default_factory=lambda: ["critical"],
        description="alarm severities whose acknowledgement needs a signature (when "
        "alarm_ack is in signature_required)",
    )

    # --- compliance reports and record retention (docs/reports.md)
    report_record_interval_s: int = Field(
        30 * 60, ge=1, description="a record at least this often (China's GSP: 30 minutes)")
    report_out_of_range_interval_s: int = Field(
        2 * 60, ge=1, description="a record at least this often while out of range (GSP: 2 min)")
    retention_days: int = Field(
        5 * 366, ge=5 * 365,
        description="records are kept at least this long; `stockwarden purge` deletes older "
                    "ones only when asked (never on its own)")

    # --- HTTP
    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=0, le=65535)
    # HTTPS straight from the hub: browsers run the handheld's service worker (offline
    # reload) only over HTTPS or on localhost (docs/web.md, "TLS").
    http_tls_cert: Path | None = Field(None, description="PEM certificate (chain) for HTTPS")
    http_tls_key: Path | None = Field(None, description="PEM private key for HTTPS")
    # Bounds on what a client can make the hub hold before anyone has checked who it is
    # (docs/deploy.md, "Request sizes and timeouts").
    http_max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="the largest request body a route takes, unless "
        "http_body_limits says otherwise; larger ones are refused (413) before reading",
    )
    http_body_limits: dict[str, int] = Field(
        default_factory=dict, description='larger (or smaller) limits by path prefix, e.g. '
        '{"/api/v1/alarms/rules": 4194304}; as JSON in the environment variable',
    )
    http_body_timeout_s: float = Field(
        30.0, gt=0, le=3600, description="a request body must have arrived this long after "
        "the request's headers, else 408 and the connection is closed",
    )
    http_header_timeout_s: float = Field(
        10.0, gt=0, le=3600, description="a connection must send a whole request head this "
        "long after it opens or after the previous answer, else it is closed",
    )

    @field_validator("http_body_limits")
    @classmethod
    def _body_limits(cls, value: dict[str, int]) -> dict[str, int]:
        for prefix, limit in value.items():
            if not prefix.startswith("/"):
                raise ValueError(f"{prefix!r}: a path prefix starts with /")
            if limit < 1024:
                raise ValueError(f"{prefix}: {limit} bytes is too small a limit (at least 1024)")
        return value

    @field_validator("alarm_test_interval_days", mode="before")
    @classmethod
    def _schedule_off(cls, value: Any) -> Any:
        return 0 if isinstance(value, str) and value.strip().lower() == "off" else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        return value

    @field_validator("site_timezone")
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        if not value:
            return None
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai, UTC)") from None
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_scheme(cls, value: str) -> str:
        if not value.startswith(("mqtt://", "mqtts://")):
            raise ValueError("must start with mqtt:// or mqtts://")
        return value

    @property
    def mqtt(self) -> HubMqttSettings:
        """The broker settings of a hub part, from the `mqtt_*` fields: ingest's session as
        they are; the scan consumer and the alarm publisher set their own client id."""
        return HubMqttSettings(
            url=self.mqtt_url, client_id=self.mqtt_client_id, protocol=self.mqtt_protocol,
            site=self.mqtt_site, share_group=self.mqtt_share_group,
            session_expiry_s=self.mqtt_session_expiry_s,
            receive_maximum=self.mqtt_receive_maximum,
            tls=TlsFiles(ca_file=self.mqtt_ca_file) if self.mqtt_ca_file else None,
        )

    @field_validator("tsdb_url")
    @classmethod
    def _http_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _tls_pair(self) -> HubSettings:
        if (self.http_tls_cert is None) != (self.http_tls_key is None):
            raise ValueError("http_tls_cert and http_tls_key go together: set both or neither")
        for name in ("http_tls_cert", "http_tls_key"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"{name} ({ENV_PREFIX}{name.upper()}): no file {path}")
        return self

    @model_validator(mode="after")
    def _production_refuses_demo_defaults(self) -> HubSettings:
        if self.env == "production":
            refusals = production_refusals(self)
            if refusals:
                raise ValueError("\n".join(
                    f"{field} ({ENV_PREFIX}{field.upper()}): {reason}"
                    for field, reason in refusals
                ))
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings, dotenv_settings]
        config = _config_file.get() or os.environ.get(f"{ENV_PREFIX}CONFIG")
        if config:
            sources.append(_file_source(settings_cls, Path(config)))
        return (*sources, file_secret_settings)


def production_refusals(settings: HubSettings) -> list[tuple[str, str]]:
    """The demo and local defaults that a production hub must not run with, as
    (field, reason). A plaintext mqtt:// URL with credentials is accepted (a broker on
    the warehouse network); one without credentials is not: anyone on that network
    could then publish readings. mqtts:// is better still (docs: README)."""
    refusals = []
    if settings.database_url.startswith("sqlite:///./"):
        refusals.append(
            ("database_url", "production needs an explicit database, not the local default")
        )
    if settings.tsdb_url is not None and settings.tsdb_token == DEFAULT_TSDB_TOKEN:
        refusals.append((
            "tsdb_token",
            f"production needs the time-series store's own token, not the default "
            f"{DEFAULT_TSDB_TOKEN!r}",
        ))
    if urlsplit(settings.mqtt_url).username is None:
        refusals.append((
            "mqtt_url",
            "production needs broker credentials (mqtt://user:password@host:port): "
            "an anonymous broker lets anyone publish readings",
        ))
    return refusals


def _file_source(settings_cls: type[BaseSettings], path: Path) -> PydanticBaseSettingsSource:
    if not path.is_file():
        raise SettingsError(f"config file {path}: not found")
    if path.suffix == ".toml":
        return TomlConfigSettingsSource(settings_cls, toml_file=path)
    if path.suffix in (".yaml", ".yml"):
        return YamlConfigSettingsSource(settings_cls, yaml_file=path)
    raise SettingsError(f"config file {path}: use .toml, .yaml or .yml")


def describe_validation_error(error: ValidationError, source: str = "settings") -> str:
    lines = []
    for item in error.errors(include_url=False):
        if not item["loc"]:
            # A check across fields (production's refusals): its lines name their fields.
            message = item["msg"].removeprefix("Value error, ")
            lines += [f"{source}: {line}" for line in message.splitlines()]
            continue
        field = ".".join(str(p) for p in item["loc"])
        lines.append(f"{source}: {field} ({ENV_PREFIX}{field.upper()}): {item['msg']}")
    return "\n".join(lines)


def load_settings(config_file: Path | None = None, **overrides: Any) -> HubSettings:
    """Build and validate settings, or raise SettingsError naming field and reason."""
    token = _config_file.set(config_file)
    try:
        return HubSettings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None
    finally:
        _config_file.reset(token)
