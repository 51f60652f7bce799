"""ACS Identity Lab helpers: what the notebooks import.

`connect()` gives you a real `CommunicationIdentityClient`: for Azure when a connection string or
endpoint is configured (environment or `.env`), otherwise for the embedded local ACS Identity
service. `helpers.forms` holds the widget forms, `helpers.identity` the plain functions behind them.
"""

from importlib import import_module

from .connection import Backend, backend_of, connect, current_backend
from .settings import SettingsError, load_settings, masked

__all__ = [
    "Backend",
    "SettingsError",
    "backend_of",
    "connect",
    "current_backend",
    "load_settings",
    "masked",
    "emulator",
    "forms",
    "identity",
    "tokens",
]

_SUBMODULES = {"emulator", "forms", "identity", "tokens"}


def __getattr__(name: str):
    # Submodules load on first use: `helpers.forms` pulls in ipywidgets, which a plain
    # `acs-emulator serve` process does not need.
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
