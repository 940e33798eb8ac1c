"""The accounts file of `stockwarden broker-acl`: validated like the gateway config,
and the ACL lines each account gets. (The files in a real broker:
tests/integration/test_broker_acl.py.)"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contract.errors import ConfigError
from hub.broker_acl import (
    load_accounts,
    mosquitto_hash,
    parse_accounts,
    parse_owner,
    read_password_file,
    render_acl,
    write_broker_files,
)
from hub.cli import app

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"site": "north", "hub": {"password": "s3cret-hub"},
        "gateways": [{"id": "gw-1"}, {"id": "gw-2", "password": "gw2-pass"}]}


def problems(data: object) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_accounts(data, "accounts.yaml")
    return str(caught.value)


@pytest.mark.parametrize(("change", "expected"), [
    ({"site": "no/slash"}, "accounts.yaml: site: String should match pattern"),
    ({"gateways": []}, "accounts.yaml: gateways: List should have at least 1 item"),
    ({"gateways": [{"id": "alarms"}]},
     "accounts.yaml: gateways[0].id: 'alarms' is reserved (a word of the hub's topic tree"),
    # The wire contract reserves the words in any case: the hub would dead-letter them all.
    ({"gateways": [{"id": "ALARMS"}]},
     "accounts.yaml: gateways[0].id: 'ALARMS' is reserved (a word of the hub's topic tree"),
    ({"gateways": [{"id": "Alarms"}]},
     "accounts.yaml: gateways[0].id: 'Alarms' is reserved (a word of the hub's topic tree"),
    ({"gateways": [{"id": "Results"}]},
     "accounts.yaml: gateways[0].id: 'Results' is reserved (a word of the hub's topic tree"),
    # A gateway's client id is its name: named like the hub's, it would take its session.
    ({"gateways": [{"id": "stockwarden-hub"}]},
     "accounts.yaml: gateways[0].id: stockwarden-hub starts with the hub's client id prefix "
     "'stockwarden-hub'"),
    ({"readers": [{"username": "Stockwarden-Hub-scans"}]},
     "accounts.yaml: readers[0].username: Stockwarden-Hub-scans starts with the hub's "
     "client id prefix"),
    ({"hub": {"client_id_prefix": "hub-north"}, "gateways": [{"id": "hub-north-2"}]},
     "accounts.yaml: gateways[0].id: hub-north-2 starts with the hub's client id prefix "
     "'hub-north'"),
    ({"gateways": [{"id": "gw:1"}]},
     "accounts.yaml: gateways[0].id: a Mosquitto user name cannot contain ':'"),
    ({"gateways": [{"id": "gw-1"}, {"id": "gw-1"}]},
     "accounts.yaml: gateways[1].id: gw-1 is also gateways[0].id"),
    ({"readers": [{"username": "hub"}]},
     "accounts.yaml: readers[0].username: hub is also hub.username"),
    ({"readers": [{"username": "gw-2"}]},
     "accounts.yaml: readers[0].username: gw-2 is also gateways[1].id"),
    ({"gateways": [{"id": "gw-1", "pasword": "x"}]},
     "accounts.yaml: gateways[0].pasword: Extra inputs are not permitted"),
    ({"gateways": [{"id": "gw-1", "password": ""}]},
     "accounts.yaml: gateways[0].password: empty; write 'generate'"),
    ({"gateways": [{"id": "gw-1", "password": "a", "password_env": "B"}]},
     "accounts.yaml: gateways[0]: give password or password_env, not both"),
])
def test_a_bad_accounts_file_names_file_field_and_reason(change: dict, expected: str) -> None:
    assert problems({**GOOD, **change}).startswith(expected)


def test_every_problem_is_reported_at_once() -> None:
    text = problems({"site": "north", "gateways": [{"id": "alarms"}, {"id": "a:b"}]})
    assert text.count("\n") == 1 and "gateways[0].id" in text and "gateways[1].id" in text


def test_each_gateway_writes_only_its_own_topics_and_reads_only_its_results() -> None:
    acl = render_acl(parse_accounts({**GOOD, "readers": [{"username": "grafana"}]}))
    blocks = {block.splitlines()[1]: block.splitlines()[2:]
              for block in acl.split("\n\n")[1:] if block.strip()}
    assert blocks["user gw-1"] == [
        "topic read stockwarden/v1/north/gw-1/scan-result",
        "topic write stockwarden/v1/north/gw-1/telemetry",
        "topic write stockwarden/v1/north/gw-1/scan",
        "topic write stockwarden/v1/north/gw-1/status",
    ]
    assert blocks["user hub"] == [
        "topic read stockwarden/v1/#",
        "topic write stockwarden/v1/north/alarms/#",
        "topic write stockwarden/v1/north/+/scan-result",
    ]
    assert blocks["user grafana"] == ["topic read stockwarden/v1/north/#"]
    # Nothing is granted to a client without an account: no line before the first user.
    assert all(line.startswith("#") or not line.strip()
               for line in acl.split("user ")[0].splitlines())


def test_gateways_of_another_site_on_the_same_broker() -> None:
    accounts = parse_accounts({**GOOD, "gateways": [
        {"id": "gw-1"}, {"id": "gw-s", "site": "south"}], "readers": [{"username": "ro"}]})
    acl = render_acl(accounts)
    assert "user gw-s\ntopic read stockwarden/v1/south/gw-s/scan-result\n" in acl
    assert "topic write stockwarden/v1/south/gw-s/telemetry" in acl
    for site in ("north", "south"):
        assert f"topic write stockwarden/v1/{site}/alarms/#" in acl
        assert f"topic write stockwarden/v1/{site}/+/scan-result" in acl
        assert f"topic read stockwarden/v1/{site}/#" in acl  # the reader


def test_the_hash_is_mosquittos_pbkdf2_sha512_format() -> None:
    salt = bytes(range(12))
    line = mosquitto_hash("pässword", salt)
    _, kind, iterations, salt64, hash64 = line.split("$")
    assert (kind, iterations, base64.b64decode(salt64)) == ("7", "101", salt)
    assert base64.b64decode(hash64) == hashlib.pbkdf2_hmac(
        "sha512", "pässword".encode(), salt, 101, 64)


def test_generated_passwords_are_kept_on_a_second_run_unless_rotated(tmp_path: Path) -> None:
    accounts = parse_accounts(GOOD)
    files = tmp_path / "passwd", tmp_path / "acl"
    first = write_broker_files(accounts, *files, hasher="python")
    assert set(first.generated) == {"gw-1"} and first.kept == []
    before = read_password_file(files[0])
    # The hub's account is only in the file of its own listener (no client id binding).
    assert list(before) == ["gw-1", "gw-2"]
    assert list(read_password_file(first.hub_password_file)) == ["hub"]
    assert first.hub_password_file == tmp_path / "hub-passwd"
    for written in files[0], first.hub_password_file:
        assert oct(written.stat().st_mode & 0o777) == "0o600"
    second = write_broker_files(accounts, *files, hasher="python")
    assert second.generated == {} and second.kept == ["gw-1"]
    after = read_password_file(files[0])
    assert after["gw-1"] == before["gw-1"]  # the gateway's password still works
    assert after["gw-2"] != before["gw-2"]  # a given password is hashed anew (new salt)
    rotated = write_broker_files(accounts, *files, hasher="python", rotate=frozenset({"gw-1"}))
    assert set(rotated.generated) == {"gw-1"}
    assert read_password_file(files[0])["gw-1"] != before["gw-1"]
    with pytest.raises(ConfigError, match="--rotate: no account gw-9"):
        write_broker_files(accounts, *files, hasher="python", rotate=frozenset({"gw-9"}))


def test_a_generated_hub_password_from_a_single_password_file_is_kept(tmp_path: Path) -> None:
    """Files written before the hub had its own: its hash moves to hub-passwd, unchanged."""
    accounts = parse_accounts({**GOOD, "hub": {"password": "generate"}})
    (tmp_path / "passwd").write_text("hub:$7$101$old$hash\ngw-1:$7$101$x$y\n")
    written = write_broker_files(accounts, tmp_path / "passwd", tmp_path / "acl",
                                 hasher="python")
    assert written.kept == ["hub", "gw-1"]
    assert read_password_file(tmp_path / "hub-passwd") == {"hub": "$7$101$old$hash"}
    assert "hub" not in read_password_file(tmp_path / "passwd")


def test_an_account_whose_password_variable_is_unset_is_refused(tmp_path: Path) -> None:
    accounts = parse_accounts({**GOOD, "hub": {"password_env": "HUB_PW"}})
    with pytest.raises(ConfigError, match=r"hub\.password_env: HUB_PW is not set"):
        write_broker_files(accounts, tmp_path / "p", tmp_path / "a", environ={})
    assert not (tmp_path / "p").exists()


def test_toml_and_the_shipped_example_load(tmp_path: Path) -> None:
    toml = tmp_path / "accounts.toml"
    toml.write_text('site = "north"\n[[gateways]]\nid = "gw-1"\npassword = "generate"\n')
    assert load_accounts(toml).gateways[0].id == "gw-1"
    shipped = load_accounts(ROOT / "deploy/broker-accounts.yaml")
    assert shipped.site == "demo" and [g.id for g in shipped.gateways] == ["gw-demo-1"]


def test_the_command_prints_generated_passwords_once_and_errors_without_a_traceback(
    tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("site: north\ngateways:\n  - id: gw-1\n")
    runner = CliRunner()
    first = runner.invoke(app, ["broker-acl", str(accounts), "--out", str(tmp_path / "out"),
                                "--hasher", "python"])
    assert first.exit_code == 0, first.output
    assert "generated passwords, shown only now" in first.output
    assert "  hub: " in first.output and "  gw-1: " in first.output
    again = runner.invoke(app, ["broker-acl", str(accounts), "--out", str(tmp_path / "out"),
                                "--hasher", "python"])
    assert "kept the existing password of: hub, gw-1" in again.output
    assert "shown only now" not in again.output
    accounts.write_text("site: north\ngateways:\n  - id: ALARMS\n")
    bad = runner.invoke(app, ["broker-acl", str(accounts), "--check"])
    assert bad.exit_code == 2
    assert "accounts.yaml: gateways[0].id: 'ALARMS' is reserved" in bad.output
    assert "the hub would refuse every message of this gateway" in bad.output
    assert "Traceback" not in bad.output


def test_owner_specs() -> None:
    assert parse_owner("1883:1883") == (1883, 1883)
    assert parse_owner("1883") == (1883, 1883)
    assert parse_owner("root") == (0, 0)
    with pytest.raises(ConfigError, match="--chown no-such-user: no such user or group"):
        parse_owner("no-such-user")
