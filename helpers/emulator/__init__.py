"""A local ACS Identity service that the unmodified azure-communication-identity SDK can use.

from helpers.emulator import start
with start() as emu:
    client = CommunicationIdentityClient.from_connection_string(
        emu.connection_string, connection_verify=emu.ca_bundle)
"""

from .admin import AdminClient, AdminError
from .auth import AsyncLocalEntraCredential, LocalEntraCredential, sign_request
from .cli import serve_forever
from .entra import LocalEntraID, simulated_sign_in, teams_user_token
from .server import Emulator, start
from .state import default_state_dir

__all__ = [
    "AdminClient",
    "AdminError",
    "AsyncLocalEntraCredential",
    "Emulator",
    "LocalEntraCredential",
    "LocalEntraID",
    "default_state_dir",
    "serve_forever",
    "sign_request",
    "simulated_sign_in",
    "start",
    "teams_user_token",
]
