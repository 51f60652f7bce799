"""Small ipywidgets forms for each identity operation, plus an all-in-one console.

One module per family: `render` (plain HTML functions), `session` (what the forms share),
`pickers`, `base`, `operations`, `console`, `bulk`. Views only: each form reads its widgets, calls
one function from `helpers.identity`, and renders the answer with the plain `render_*` functions
(testable without widgets).
Results go into HTML widgets, not Output widgets, because Output capture needs a front end.
"""

from .bulk import BulkProvisioningForm, render_bulk
from .console import ConnectionStatus, IdentityConsole, render_listing, render_session
from .operations import (
    CreateIdentityAndTokenForm,
    CreateIdentityForm,
    DeleteIdentityForm,
    IssueTokenForm,
    RefreshTokenForm,
    RevokeTokensForm,
)
from .pickers import ExpiryPicker, IdentityPicker, ScopePicker
from .render import (
    render_anatomy,
    render_caution,
    render_check,
    render_code,
    render_connection,
    render_error,
    render_identity,
    render_success,
    render_token,
    sdk_call_text,
)
from .session import LabSession, shared_session
from .teams import TeamsExchangeForm, render_teams_token

__all__ = [
    "ExpiryPicker",
    "IdentityPicker",
    "ScopePicker",
    "shared_session",
    "render_listing",
    "render_session",
    "BulkProvisioningForm",
    "ConnectionStatus",
    "CreateIdentityAndTokenForm",
    "CreateIdentityForm",
    "DeleteIdentityForm",
    "IdentityConsole",
    "IssueTokenForm",
    "LabSession",
    "RefreshTokenForm",
    "RevokeTokensForm",
    "TeamsExchangeForm",
    "render_anatomy",
    "render_caution",
    "render_code",
    "render_bulk",
    "render_check",
    "render_connection",
    "render_error",
    "render_identity",
    "render_success",
    "render_teams_token",
    "render_token",
    "sdk_call_text",
]
