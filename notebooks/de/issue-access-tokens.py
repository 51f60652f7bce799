import os
from datetime import timedelta

from azure.communication.identity import (
    CommunicationIdentityClient,
    CommunicationUserIdentifier,
)

from helpers.tokens import mask_token  # the docs print whole tokens; we show them masked

try:
    print("Azure Communication Services - Access Tokens Quickstart")

    # Authenticate the client
    connection_string = os.environ["COMMUNICATION_SERVICES_CONNECTION_STRING"]
    client = CommunicationIdentityClient.from_connection_string(connection_string)

    # Create an identity
    identity = client.create_user()
    print("\nCreated an identity with ID: " + identity.properties["id"])

    # Store the identity to issue access tokens later
    existingIdentity = identity

    # Issue an access token with a validity of 24 hours and the "voip" scope for an identity
    token_result = client.get_token(identity, ["voip"])
    print(f"\nIssued an access token with 'voip' scope that expires at {token_result.expires_on}:")
    print(mask_token(token_result.token))

    # Issue an access token with a validity of an hour and the "voip" scope for an identity
    token_expires_in = timedelta(hours=1)
    token_result = client.get_token(identity, ["voip"], token_expires_in=token_expires_in)

    # Create an identity and issue an access token with a validity of 24 hours
    # within the same request
    identity_token_result = client.create_user_and_token(["voip"])

    # Get the token details from the response
    identity = identity_token_result[0]
    token = identity_token_result[1].token
    expires_on = identity_token_result[1].expires_on
    print("\nCreated an identity with ID: " + identity.properties["id"])
    print(f"\nIssued an access token with 'voip' scope that expires at {expires_on}:")
    print(mask_token(token))

    # Refresh access tokens - existingIdentity represents the identity of Azure
    # Communication Services stored during identity creation
    identity = CommunicationUserIdentifier(existingIdentity.properties["id"])
    token_result = client.get_token(identity, ["voip"])

    # Revoke access tokens
    client.revoke_tokens(identity)
    print(
        "\nSuccessfully revoked all access tokens for identity with ID: "
        + identity.properties["id"]
    )

    # Delete an identity
    client.delete_user(identity)
    print("\nDeleted the identity with ID: " + identity.properties["id"])

except Exception as ex:
    print("Exception:")
    print(ex)
