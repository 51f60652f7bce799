"""Small helpers shared by several test suites."""

from __future__ import annotations

from azure.communication.identity import CommunicationIdentityClient


def sdk_client(connection_string: str, ca_bundle) -> CommunicationIdentityClient:
    """The real sync SDK client, trusting the local CA, failing at once instead of retrying."""
    return CommunicationIdentityClient.from_connection_string(
        connection_string, connection_verify=ca_bundle, retry_total=0
    )
