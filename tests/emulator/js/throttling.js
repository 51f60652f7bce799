// A burst of createUser calls at once; prints how they ended, e.g. {"ok":20,"429 after 2 s":10}.
// MAX_RETRIES: "default" (the SDK's own retry policy) or a number for retryOptions.maxRetries.
const { CommunicationIdentityClient } = require("@azure/communication-identity");

async function main() {
  const burst = Number(process.env.BURST);
  const retries = process.env.MAX_RETRIES;
  const options = retries === "default" ? {} : { retryOptions: { maxRetries: Number(retries) } };
  const client = new CommunicationIdentityClient(
    process.env.COMMUNICATION_SERVICES_CONNECTION_STRING,
    options,
  );
  const outcomes = await Promise.all(
    Array.from({ length: burst }, () =>
      client.createUser().then(
        () => "ok",
        (e) => `${e.statusCode} after ${e.response && e.response.headers.get("retry-after")} s`,
      ),
    ),
  );
  const counts = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] || 0) + 1;
  console.log(JSON.stringify(counts));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
