// One client, retries off, its key alternating wrong / right: every wrong-key call must end in
// the service's 401 Denied (never "socket hang up"), every right-key call must succeed.
// Prints one JSON line of counts; never a key or a token.
const { CommunicationIdentityClient } = require("@azure/communication-identity");
const { AzureKeyCredential } = require("@azure/core-auth");

async function main() {
  const cs = process.env["COMMUNICATION_SERVICES_CONNECTION_STRING"];
  const endpoint = cs.split(";")[0].slice("endpoint=".length).replace(/\/$/, "");
  const key = cs.split("accesskey=")[1];
  const wrongKey = Buffer.alloc(64, 7).toString("base64");
  const rounds = parseInt(process.argv[2], 10);
  const credential = new AzureKeyCredential(key);
  const client = new CommunicationIdentityClient(endpoint, credential, {
    retryOptions: { maxRetries: 0 },
  });
  const user = await client.createUser();
  const counts = {};
  const count = (what) => { counts[what] = (counts[what] || 0) + 1; };
  for (let i = 0; i < rounds; i++) {
    credential.update(wrongKey);
    try {
      await client.getToken(user, ["chat"]);
      count("wrong key accepted");
    } catch (e) {
      count(e.statusCode ? `wrong key: ${e.statusCode} ${e.code}` : `wrong key: lost (${e.code || e.message})`);
    }
    credential.update(key);
    try {
      await client.getToken(user, ["chat"]);
      count("right key: 200");
    } catch (e) {
      count(`right key: ${e.statusCode || "lost"} (${e.code || e.message})`);
    }
  }
  console.log(JSON.stringify(counts));
}

main().catch((error) => {
  console.log(`failed: ${error.code || error.message}`);
  process.exit(1);
});
