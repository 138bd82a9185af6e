"""One configuration reference: every setting read in one place, each bad value refused in one line naming
its variable (by the CLI and the app), `config` showing the effective values with secrets masked, and
`db status` as a readiness probe."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from alembic import command
from clirunner import fails, invoke

from assessment import settings as config
from assessment.migrations import alembic_config, head_revision
from assessment.settings import SettingsError, settings
from assessment.storage import login_lifetime, make_engine

# A bad value of each setting, and the line that refuses it.
BAD = {
    "DATABASE_URL": ("not a url", "DATABASE_URL: is not a database URL such as postgresql://user@host/db"),
    "ASSESSMENT_PUBLIC_URL": ("phone.example", "ASSESSMENT_PUBLIC_URL: must be an address such as "
                                               "http://10.0.0.5:8501, not 'phone.example'"),
    "ASSESSMENT_REQUIRE_LOGIN": ("maybe", "ASSESSMENT_REQUIRE_LOGIN: must be 1 or 0, not 'maybe'"),
    "ASSESSMENT_LOGIN_HOURS": ("x", "ASSESSMENT_LOGIN_HOURS: must be a number of hours, not 'x'"),
    "ASSESSMENT_TRUSTED_PROXIES": ("10.0.0.5, proxy.example",
                                   "ASSESSMENT_TRUSTED_PROXIES: 'proxy.example' is not an IP address or CIDR network"),
    "ASSESSMENT_JOINS_PER_ADDRESS": ("0", "ASSESSMENT_JOINS_PER_ADDRESS: must be a whole number from 1 to 1000, "
                                          "not '0'"),
}
PASSWORD = "s3cret-Pw"


@pytest.fixture(autouse=True)
def _no_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in config.env_names().values():
        if name != "ASSESSMENT_DATA_DIR":  # conftest points it at the test's tmp dir
            monkeypatch.delenv(name, raising=False)


def test_defaults(tmp_path: Path) -> None:
    s = settings()
    assert s.database_url is None
    assert s.data_dir == tmp_path / "data"
    assert (s.questionnaire_path, s.public_url, s.require_login) == ((), "", False)
    assert (s.login_hours, s.sso_allowed, s.trusted_proxies, s.joins_per_address) == (12.0, "", (), 3)
    assert login_lifetime() == dt.timedelta(hours=12)


def test_values_are_read_fresh_and_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSESSMENT_LOGIN_HOURS", "0.5")
    monkeypatch.setenv("ASSESSMENT_REQUIRE_LOGIN", "1")
    monkeypatch.setenv("ASSESSMENT_PUBLIC_URL", "https://assess.example.org/")
    monkeypatch.setenv("ASSESSMENT_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16")
    monkeypatch.setenv("QUESTIONNAIRE_PATH", "/a:/b")
    s = settings()
    assert s.login_hours == 0.5 and s.require_login is True
    assert s.public_url == "https://assess.example.org"
    assert [str(n) for n in s.trusted_proxies] == ["10.0.0.5/32", "10.1.0.0/16"]
    assert s.questionnaire_path == (Path("/a"), Path("/b"))
    monkeypatch.setenv("ASSESSMENT_LOGIN_HOURS", "")  # blank is unset
    assert settings().login_hours == 12.0


@pytest.mark.parametrize("name", sorted(BAD))
def test_every_bad_value_is_refused_in_one_line(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    value, line = BAD[name]
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        settings()
    assert caught.value.lines == [line]
    assert fails("list") == f"error: {line}"


def test_each_bad_value_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, (value, _) in BAD.items():
        monkeypatch.setenv(name, value)
    assert config.check() == [line for _, line in BAD.values()]
    result = invoke("demo", ok=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"error: {line}" for _, line in BAD.values()]


def test_every_setting_has_a_description_and_a_variable() -> None:
    names = config.env_names()
    assert {"DATABASE_URL", "ASSESSMENT_DATA_DIR", "QUESTIONNAIRE_PATH"} <= set(names.values())
    for field in config.Settings.model_fields.values():
        assert field.description and "\n" not in field.description


def test_config_masks_the_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://ada:{PASSWORD}@db.example/x?sslpassword={PASSWORD}")
    monkeypatch.setenv("ASSESSMENT_LOGIN_HOURS", "8")
    text = invoke("config").stdout
    assert PASSWORD not in text
    assert "postgresql+psycopg://ada:***@db.example/x?sslpassword=***" in text
    rows = {r["name"]: r for r in json.loads(invoke("config", "--json").stdout)}
    assert PASSWORD not in json.dumps(rows)
    assert rows["ASSESSMENT_LOGIN_HOURS"] == {**rows["ASSESSMENT_LOGIN_HOURS"], "value": "8", "source": "environment"}
    assert rows["ASSESSMENT_JOINS_PER_ADDRESS"]["source"] == "default"
    assert list(rows) == list(config.env_names().values())


def test_config_shows_the_default_database(tmp_path: Path) -> None:
    rows = {r["name"]: r for r in json.loads(invoke("config", "--json").stdout)}
    assert rows["DATABASE_URL"]["value"] == f"sqlite:///{tmp_path / 'data' / 'assessments.db'}"
    assert rows["DATABASE_URL"]["source"] == "default"


def test_secret_looking_settings_are_masked() -> None:
    assert config.SECRET_NAME.search("OIDC_CLIENT_SECRET") and config.SECRET_NAME.search("API_TOKEN")
    assert config.mask_url("postgresql://u:pw@h/db?token=abc&sslmode=require") == \
        "postgresql://u:***@h/db?sslmode=require&token=***"


def test_db_status_is_ready_on_an_upgraded_database(tmp_path: Path) -> None:
    invoke("db", "upgrade")
    out = invoke("db", "status").stdout
    assert f"database: sqlite:///{tmp_path / 'data' / 'assessments.db'}" in out
    assert f"revision: {head_revision()}" in out
    assert out.splitlines()[-1] == "ready"


def test_db_status_fails_on_an_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://nobody:{PASSWORD}@127.0.0.1:1/x")
    result = invoke("db", "status", ok=False)
    assert result.exit_code == 1
    assert "error: cannot reach the database" in result.stderr
    assert PASSWORD not in result.output


def test_db_status_fails_on_a_missing_database_and_creates_none(tmp_path: Path) -> None:
    assert "does not exist: run `assessment db upgrade`" in fails("db", "status")
    assert not (tmp_path / "data" / "assessments.db").exists()


def test_db_status_fails_on_an_older_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0001")
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    line = fails("db", "status")
    assert line == f"error: the database is at revision 0001, not {head_revision()}: run `assessment db upgrade`"
    invoke("db", "upgrade")
    invoke("db", "status")


@pytest.mark.usefixtures("app_env")
def test_the_app_stops_with_one_line_per_bad_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from apptest import session, texts

    from assessment.present import plain

    monkeypatch.setenv("ASSESSMENT_LOGIN_HOURS", "x")
    monkeypatch.setenv("ASSESSMENT_TRUSTED_PROXIES", "proxy.example")
    for query in ({}, {"join": "K7PQ2M"}):  # facilitators and participants alike
        at = session()
        at.query_params.update(query)
        at.run()
        assert not at.exception
        assert texts(at.error) == [plain(BAD["ASSESSMENT_LOGIN_HOURS"][1]),
                                   plain("ASSESSMENT_TRUSTED_PROXIES: 'proxy.example' is not an IP address "
                                         "or CIDR network")]
        assert not at.button and not at.text_input  # nothing else of the app ran
    assert not (tmp_path / "data" / "assessments.db").exists()  # not even the database was opened
