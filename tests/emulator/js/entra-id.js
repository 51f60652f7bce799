// Entra ID the way the published access-tokens quickstart signs in: DefaultAzureCredential and
// the endpoint from COMMUNICATION_SERVICES_ENDPOINT, nothing else. Run it with only the lines
// `acs-emulator serve` prints; it never prints a whole token.
const { CommunicationIdentityClient } = require("@azure/communication-identity");
const { DefaultAzureCredential } = require("@azure/identity");

async function main() {
  const identityVersion = require("@azure/identity/package.json").version;
  console.log(`@azure/identity ${identityVersion}`);

  const endpoint = process.env["COMMUNICATION_SERVICES_ENDPOINT"];
  const credential = new DefaultAzureCredential();
  const client = new CommunicationIdentityClient(endpoint, credential);

  // What the credential handed over: an Entra token for the ACS resource.
  const entra = await credential.getToken("https://communication.azure.com//.default");
  const claims = JSON.parse(Buffer.from(entra.token.split(".")[1], "base64url").toString());
  const minutes = Math.round((entra.expiresOnTimestamp - Date.now()) / 60000);
  console.log(`Entra token for ${claims.aud}, valid for about ${minutes} minutes`);

  const user = await client.createUser();
  console.log(`Created an identity with ID: ${user.communicationUserId}`);
  const { token, expiresOn } = await client.getToken(user, ["voip"], {
    tokenExpiresInMinutes: 60,
  });
  console.log(`Issued a 'voip' token (${token.split(".").length} parts) expiring ${expiresOn.toISOString()}`);
  await client.revokeTokens(user);
  await client.deleteUser(user);
  console.log(`Deleted the identity with ID: ${user.communicationUserId}`);

  try {
    await credential.getToken("https://graph.microsoft.com/.default");
    console.log("Graph token: unexpectedly issued");
  } catch (e) {
    const named = e.message.includes("https://communication.azure.com");
    console.log(`Graph token refused, naming the served resource: ${named}`);
  }
}

main().catch((error) => {
  console.log("Encountered an error");
  console.log(error);
  process.exit(1);
});
