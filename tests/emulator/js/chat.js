// The JavaScript chat SDK, unmodified, with lab tokens: Alice (a 'chat' token) creates a thread
// with Bob, Bob reads her message; a 'voip' token, a revoked token, a deleted identity's token and
// a stranger are refused. Run with only the variables `acs-emulator serve` exports.
const { CommunicationIdentityClient } = require("@azure/communication-identity");
const { AzureCommunicationTokenCredential } = require("@azure/communication-common");
const { ChatClient } = require("@azure/communication-chat");

const endpoint = process.env["COMMUNICATION_SERVICES_ENDPOINT"];
const identity = new CommunicationIdentityClient(
  process.env["COMMUNICATION_SERVICES_CONNECTION_STRING"],
);
const chatAs = (token) => new ChatClient(endpoint, new AzureCommunicationTokenCredential(token));

async function refused(label, call) {
  try {
    await call();
    console.log(`${label}: not refused`);
  } catch (e) {
    console.log(`${label}: ${e.statusCode} ${e.code}`);
  }
}

async function main() {
  const version = require("@azure/communication-chat/package.json").version;
  console.log(`@azure/communication-chat ${version}`);
  const alice = await identity.createUserAndToken(["chat"]);
  const bob = await identity.createUserAndToken(["chat"]);
  const aliceChat = chatAs(alice.token);
  const { chatThread } = await aliceChat.createChatThread(
    { topic: "Lunch" },
    { participants: [{ id: bob.user, displayName: "Bob" }] },
  );
  const aliceThread = aliceChat.getChatThreadClient(chatThread.id);
  const { id } = await aliceThread.sendMessage(
    { content: "Hello Bob" },
    { senderDisplayName: "Alice" },
  );
  console.log(`Alice sent message ${/^\d+$/.test(id) ? "<id>" : id}`);

  const bobThread = chatAs(bob.token).getChatThreadClient(chatThread.id);
  for await (const message of bobThread.listMessages()) {
    if (message.type === "text") {
      console.log(`Bob read: ${message.content.message} (from ${message.senderDisplayName})`);
    }
  }
  const names = [];
  for await (const p of bobThread.listParticipants()) names.push(p.displayName || "-");
  console.log(`Participants: ${names.sort().join(", ")}`);
  console.log(`Topic: ${(await bobThread.getProperties()).topic}`);

  const voip = await identity.createUserAndToken(["voip"]);
  await refused("voip token", () => chatAs(voip.token).createChatThread({ topic: "no" }));
  const carol = await identity.createUserAndToken(["chat"]);
  await refused("stranger", () =>
    chatAs(carol.token).getChatThreadClient(chatThread.id).getProperties(),
  );
  await identity.revokeTokens(alice.user);
  await refused("revoked token", () => aliceThread.sendMessage({ content: "after revoke" }));
  await identity.deleteUser(bob.user);
  await refused("deleted identity", () => bobThread.getProperties());

  const fresh = await identity.getToken(alice.user, ["chat"]);
  await chatAs(fresh.token).deleteChatThread(chatThread.id);
  console.log("Alice deleted the thread with a new token");
}

main().catch((error) => {
  console.log("Encountered an error");
  console.log(error);
  process.exit(1);
});
