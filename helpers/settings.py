"""Configuration: `.env` plus the environment, validated, explained and never echoing a secret.

Two variables matter, with the names the ACS quickstart uses:

* ``COMMUNICATION_SERVICES_CONNECTION_STRING``: ``endpoint=https://<resource>...;accesskey=<key>``
* ``COMMUNICATION_SERVICES_ENDPOINT``: the Entra ID (Azure AD) variant, endpoint only.

Neither set means "use the local ACS Identity service" (see `helpers.connection`).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from .i18n import _

CONNECTION_STRING_VAR = "COMMUNICATION_SERVICES_CONNECTION_STRING"
ENDPOINT_VAR = "COMMUNICATION_SERVICES_ENDPOINT"
# Set to "emulator" to ignore Azure settings (the test suite does: it must never reach Azure).
BACKEND_VAR = "ACS_LAB_BACKEND"
EXPECTED_FORMAT = "endpoint=https://<resource>.communication.azure.com/;accesskey=<key>"
EXPECTED_ENDPOINT = "https://<resource>.communication.azure.com/"

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Anything that follows "accesskey=" up to the next ";" is secret, whatever else is malformed.
_KEY_VALUE = re.compile(r"(accesskey\s*=)[^;]*", re.IGNORECASE)


class SettingsError(ValueError):
    """A configuration problem in one line: which variable, what is wrong, the expected form."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback through the lab's own modules.
        return [f"{type(self).__name__}: {self}"]


def masked(connection_string: str) -> str:
    """The connection string with its access key replaced by ``***`` (safe to print or log)."""
    return _KEY_VALUE.sub(r"\1***", connection_string.strip())


@dataclass(frozen=True)
class ConnectionString:
    """A validated connection string. Its `str()` and `repr()` are masked."""

    endpoint: str
    access_key: str = field(repr=False)
    raw: str = field(repr=False)

    def masked(self) -> str:
        return f"endpoint={self.endpoint};accesskey=***"

    def __str__(self) -> str:
        return self.masked()


def is_loopback(host: str | None) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1): this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _fail(variable: str, problem: str, expected: str) -> SettingsError:
    return SettingsError(
        _("{variable} {problem}. Expected format: {expected}").format(
            variable=variable, problem=problem, expected=expected
        )
    )


def _check_endpoint(url: str, variable: str, expected: str) -> str:
    """Return the endpoint normalised to end with one '/', or raise SettingsError."""
    # Values are never echoed: a pasted string may hold the key in an unexpected place.
    if not url:
        raise _fail(variable, _("has an empty endpoint"), expected)
    if "<" in url or ">" in url:
        raise _fail(variable, _("still holds the placeholder endpoint from .env.example"), expected)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise _fail(variable, _("has an endpoint that is not a valid URL"), expected) from None
    if parts.scheme.lower() == "http":
        raise _fail(
            variable,
            _(
                "has an http:// endpoint, but the Python SDK always connects with HTTPS; use https://"
            ),
            expected,
        )
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise _fail(variable, _("has an endpoint that is not an https:// URL"), expected)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _fail(
            variable,
            _("has an endpoint with a path or query after the host; use the resource URL only"),
            expected,
        )
    return f"https://{parts.netloc}/"


def _check_key(key: str, variable: str) -> None:
    if not key:
        raise _fail(variable, _("has an empty accesskey"), EXPECTED_FORMAT)
    if "<" in key or ">" in key:
        raise _fail(variable, _("still holds the .env.example placeholder key"), EXPECTED_FORMAT)
    try:
        decoded = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(
            variable,
            _(
                "has an accesskey that is not base64 (copy the key from the Azure portal, "
                "Settings > Keys, unchanged)"
            ),
            EXPECTED_FORMAT,
        ) from None
    if not decoded:
        raise _fail(variable, _("has an accesskey that decodes to nothing"), EXPECTED_FORMAT)


def parse_connection_string(value: str, variable: str = CONNECTION_STRING_VAR) -> ConnectionString:
    """Validate an ACS connection string the way the SDK reads it (parts in any order)."""
    text = (value or "").strip().strip('"').strip("'")
    if not text:
        raise _fail(variable, _("is empty"), EXPECTED_FORMAT)
    parts: dict[str, str] = {}
    for piece in text.split(";"):
        if not piece.strip():
            continue
        name, sep, val = piece.partition("=")  # first "=" only: keys end in "=" padding
        if sep:
            parts[name.strip().lower()] = val.strip()
    if "endpoint" not in parts:
        raise _fail(variable, _("has no 'endpoint=' part"), EXPECTED_FORMAT)
    if "accesskey" not in parts:
        raise _fail(variable, _("has no 'accesskey=' part"), EXPECTED_FORMAT)
    endpoint = _check_endpoint(parts["endpoint"], variable, EXPECTED_FORMAT)
    _check_key(parts["accesskey"], variable)
    return ConnectionString(endpoint=endpoint, access_key=parts["accesskey"], raw=text)


def parse_endpoint(value: str, variable: str = ENDPOINT_VAR) -> str:
    """Validate the Entra ID variant's endpoint URL."""
    text = (value or "").strip().strip('"').strip("'")
    if not text:
        raise _fail(variable, _("is empty"), EXPECTED_ENDPOINT)
    if "accesskey" in text.lower():
        raise _fail(
            variable,
            _("looks like a connection string; put that in {variable} instead").format(
                variable=CONNECTION_STRING_VAR
            ),
            EXPECTED_ENDPOINT,
        )
    return _check_endpoint(text, variable, EXPECTED_ENDPOINT)


@dataclass(frozen=True)
class Settings:
    """What the lab should connect to. `mode` is "connection string", "Entra ID" or "emulator"."""

    connection_string: ConnectionString | None = None
    endpoint: str | None = None
    env_files: tuple[Path, ...] = ()

    @property
    def mode(self) -> str:
        if self.connection_string is not None:
            return "connection string"
        if self.endpoint is not None:
            return "Entra ID"
        return "emulator"


def find_env_files(start: Path | None = None) -> list[Path]:
    """`.env` files to read: the nearest one from `start` (default: the working directory, i.e.
    the notebook's folder) up to the project root, then the project root's own.

    python-dotenv's default search starts from the *calling module's* folder, which would miss
    the learner's `.env`; and it climbs to `/`, where another project's `.env` (in the home
    folder, say) could silently point the lab at someone's Azure resource. So the search stops
    at the project root, and outside the project only the working directory itself counts.
    """
    here = (start or Path.cwd()).resolve()
    root = PROJECT_ROOT.resolve()
    folders = [here]
    if here == root or root in here.parents:
        folders += [d for d in here.parents if d == root or root in d.parents]
    nearest = next((d / ".env" for d in folders if (d / ".env").is_file()), None)
    found = [nearest] if nearest else []
    root_env = root / ".env"
    if root_env.is_file() and root_env not in [f.resolve() for f in found]:
        found.append(root_env)
    return found


def load_settings(
    *,
    environ: MutableMapping[str, str] | None = None,
    env_files: list[Path] | None = None,
    apply: bool = True,
) -> Settings:
    """Read `.env` files and the environment; real environment variables win over `.env`.

    With ``apply=True`` the `.env` values that are not already set are copied into `environ`
    (default `os.environ`), so notebook cells that read ``os.environ[...]`` see them.
    """
    env = os.environ if environ is None else environ
    if (env.get(BACKEND_VAR) or "").strip().lower() == "emulator":
        return Settings()
    files = find_env_files() if env_files is None else env_files
    merged: dict[str, str] = {}
    for path in reversed(files):  # nearer files override the project root's
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update({k: v for k, v in env.items() if k in (CONNECTION_STRING_VAR, ENDPOINT_VAR)})
    if apply:
        for name in (CONNECTION_STRING_VAR, ENDPOINT_VAR):
            if name in merged and name not in env:
                env[name] = merged[name]
    return settings_from(merged, env_files=tuple(files))


def settings_from(values: Mapping[str, str], env_files: tuple[Path, ...] = ()) -> Settings:
    """Validate the two variables from a mapping (blank values count as unset)."""
    conn = (values.get(CONNECTION_STRING_VAR) or "").strip()
    endpoint = (values.get(ENDPOINT_VAR) or "").strip()
    return Settings(
        connection_string=parse_connection_string(conn) if conn else None,
        endpoint=parse_endpoint(endpoint) if endpoint and not conn else None,
        env_files=env_files,
    )
