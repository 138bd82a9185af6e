"""Every setting the tool reads from the environment, in one place: its type, default and meaning.

`settings()` reads the environment each time it is asked (a test's monkeypatch counts at once); the parsed
result is kept per distinct set of values, so asking is cheap. A bad value raises `SettingsError`, one line
per bad variable (`ASSESSMENT_LOGIN_HOURS: must be a number of hours, not 'x'`); the CLI and the app check
at start, so a server never runs half-configured. The checks are the ones the features always used
(`workshop.trusted_proxies`, `workshop.joins_per_address`, `storage.login_lifetime`).
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SECRET_NAME = re.compile(r"secret|password|token", re.I)  # settings (or URL parameters) whose value is masked
MASK = "***"


class Settings(BaseSettings):
    """The environment variables the tool reads; each field's alias is its variable's name."""

    # Blank counts as unset; defaults are already typed, so only values from the environment are checked.
    model_config = SettingsConfigDict(env_ignore_empty=True, case_sensitive=True, extra="ignore",
                                      frozen=True, validate_default=False)

    database_url: str | None = Field(
        None, alias="DATABASE_URL",
        description="SQLAlchemy URL of the database (postgresql://user:password@host/db); "
                    "default: the SQLite file assessments.db in ASSESSMENT_DATA_DIR")
    data_dir: Path = Field(
        Path("data"), alias="ASSESSMENT_DATA_DIR",
        description="Folder of the SQLite database and of the backups kept before a restore")
    questionnaire_path: Annotated[tuple[Path, ...], NoDecode] = Field(
        (), alias="QUESTIONNAIRE_PATH",
        description=f"Folders (or files) of your own questionnaires, separated by {os.pathsep!r}, "
                    "added to the built-in ones")
    public_url: str = Field(
        "", alias="ASSESSMENT_PUBLIC_URL",
        description="Address participants' phones reach the app on, used in join links and QR codes; "
                    "default: the address the facilitator browses on")
    require_login: bool = Field(
        False, alias="ASSESSMENT_REQUIRE_LOGIN",
        description="1: facilitators log in even before an account, single sign-on or a workshop exists")
    login_hours: float = Field(
        12.0, alias="ASSESSMENT_LOGIN_HOURS",
        description="How long a facilitator login (and a participant's cookie) lasts, in hours")
    sso_allowed: str = Field(
        "", alias="ASSESSMENT_SSO_ALLOWED",
        description="E-mail addresses and domains that may facilitate through single sign-on, comma-separated; "
                    "empty: everyone the identity provider accepts")
    trusted_proxies: Annotated[tuple[Network, ...], NoDecode] = Field(
        (), alias="ASSESSMENT_TRUSTED_PROXIES",
        description="IP addresses or CIDR networks of reverse proxies whose X-Forwarded-For is believed, "
                    "comma-separated")
    joins_per_address: int = Field(
        3, alias="ASSESSMENT_JOINS_PER_ADDRESS",
        description="Participants one client address may add to one workshop (1–1000)")

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, raw: Any) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        from assessment.storage.engine import normalise_url

        try:
            make_url(normalise_url(str(raw)))
        except ArgumentError:
            # the value may hold a password: say what is wrong without repeating it
            raise ValueError("DATABASE_URL: is not a database URL such as postgresql://user@host/db") from None
        return str(raw)

    @field_validator("questionnaire_path", mode="before")
    @classmethod
    def _questionnaire_path(cls, raw: Any) -> tuple[Path, ...]:
        return tuple(Path(p) for p in str(raw).split(os.pathsep) if p) if isinstance(raw, str) else raw

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_url(cls, raw: Any) -> str:
        url = str(raw).strip().rstrip("/")
        if not re.fullmatch(r"https?://[^/\s?#]+(/\S*)?", url):
            raise ValueError(f"ASSESSMENT_PUBLIC_URL: must be an address such as http://10.0.0.5:8501, not {raw!r}")
        return url

    @field_validator("require_login", mode="before")
    @classmethod
    def _require_login(cls, raw: Any) -> bool:
        value = str(raw).strip().lower()
        if value not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"ASSESSMENT_REQUIRE_LOGIN: must be 1 or 0, not {raw!r}")
        return value in ("1", "true", "yes", "on")

    @field_validator("login_hours", mode="before")
    @classmethod
    def _login_hours(cls, raw: Any) -> float:
        from assessment.storage.engine import parse_login_hours

        return parse_login_hours(str(raw))

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _trusted_proxies(cls, raw: Any) -> tuple[Network, ...]:
        from assessment.workshop import trusted_proxies

        return tuple(trusted_proxies(raw)) if isinstance(raw, str) else raw

    @field_validator("joins_per_address", mode="before")
    @classmethod
    def _joins_per_address(cls, raw: Any) -> int:
        from assessment.workshop import joins_per_address

        return joins_per_address(str(raw))


class SettingsError(ValueError):
    """Bad settings: `lines` holds one line per bad variable, naming it."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("; ".join(lines))


def env_names() -> dict[str, str]:
    """Field name → the environment variable it is read from, in the order of the model."""
    return {name: str(field.alias) for name, field in Settings.model_fields.items()}


def _one_line(error: dict[str, Any]) -> str:
    """A pydantic error as `NAME: message` (our validators' messages already start with the name)."""
    name = str(error["loc"][0]) if error["loc"] else "settings"
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith(f"{name}:"):
        return message
    return f"{name}: {message}, not {error['input']!r}" if "input" in error else f"{name}: {message}"


@functools.lru_cache(maxsize=8)
def _read(values: tuple[str | None, ...]) -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError([_one_line(e) for e in exc.errors()]) from None


def settings() -> Settings:
    """The settings as the environment holds them now; SettingsError lists every bad value."""
    # The environment's values are the cache key: a changed variable is read again, an unchanged one is not.
    return _read(tuple(os.environ.get(name) for name in env_names().values()))


def check() -> list[str]:
    """One line per bad setting; empty when every value is good."""
    try:
        settings()
    except SettingsError as exc:
        return exc.lines
    return []


def source(name: str) -> Literal["environment", "default"]:
    """Where a field's value comes from."""
    return "environment" if os.environ.get(env_names()[name], "") != "" else "default"


def mask_url(url: str) -> str:
    """A database URL as it may be shown: no password, and no secret-looking query parameter."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    query = {k: (MASK if SECRET_NAME.search(k) else v) for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True).replace("%2A%2A%2A", MASK)


def effective() -> list[dict[str, str]]:
    """The effective configuration, secrets masked: name, value, source and description of each setting."""
    from assessment.storage.engine import database_url

    current = settings()
    rows = []
    for name, env in env_names().items():
        value: Any = getattr(current, name)
        if name == "database_url":
            shown = mask_url(database_url())
        elif SECRET_NAME.search(env) and value:
            shown = MASK
        elif name == "questionnaire_path":
            shown = os.pathsep.join(map(str, value))
        elif name == "trusted_proxies":
            shown = ", ".join(map(str, value))
        elif isinstance(value, bool):
            shown = "1" if value else "0"
        elif isinstance(value, float):
            shown = f"{value:g}"
        else:
            shown = str(value)
        rows.append({"name": env, "value": shown, "source": source(name),
                     "description": str(Settings.model_fields[name].description)})
    return rows
