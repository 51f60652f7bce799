// The JavaScript quickstart's calls, unmodified apart from printing the token's length
// instead of the token. Run with only the variables `acs-emulator serve` exports.
const { CommunicationIdentityClient } = require("@azure/communication-identity");

async function main() {
  console.log("Azure Communication Services - Access Tokens Quickstart");
  const connectionString = process.env["COMMUNICATION_SERVICES_CONNECTION_STRING"];
  const identityClient = new CommunicationIdentityClient(connectionString);

  const identityResponse = await identityClient.createUser();
  console.log(`\nCreated an identity with ID: ${identityResponse.communicationUserId}`);

  let tokenResponse = await identityClient.getToken(identityResponse, ["voip"]);
  const { token, expiresOn } = tokenResponse;
  console.log(`\nIssued an access token with 'voip' scope that expires at ${expiresOn}:`);
  console.log(`(${token.length} chars, ${token.split(".").length} parts)`);

  tokenResponse = await identityClient.getToken(identityResponse, ["voip"], {
    tokenExpiresInMinutes: 60,
  });
  const hours = (tokenResponse.expiresOn.getTime() - Date.now()) / 3600000;
  console.log(`One-hour token expires in ${Math.round(hours)} h`);

  const both = await identityClient.createUserAndToken(["voip"]);
  console.log(`\nCreated an identity with ID: ${both.user.communicationUserId}`);

  await identityClient.revokeTokens(identityResponse);
  console.log(
    `\nSuccessfully revoked all access tokens for identity with ID: ${identityResponse.communicationUserId}`,
  );
  await identityClient.deleteUser(identityResponse);
  console.log(`\nDeleted the identity with ID: ${identityResponse.communicationUserId}`);

  try {
    await identityClient.getToken(identityResponse, ["voip"]);
  } catch (e) {
    console.log(`After delete: ${e.statusCode} ${e.code}`);
  }
  try {
    await identityClient.getToken(both.user, []);
  } catch (e) {
    console.log(`No scopes: ${e.statusCode} ${e.message}`);
  }
}

main().catch((error) => {
  console.log("Encountered an error");
  console.log(error);
  process.exit(1);
});
