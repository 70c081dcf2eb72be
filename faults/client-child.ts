// A device process for the client-kill test: sends until the outbox is empty, printing "ANSWER"
// when an answer has arrived but before it is applied (then it lingers a moment so the parent can
// kill it right there), and "DONE" at the end.
import { createSyncClient } from "../client/index.ts";

const [database, endpoint] = process.argv.slice(2);
if (!database || !endpoint) throw new Error("usage: client-child <database> <endpoint>");
const lingering: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const text = await response.text();
  if (text.includes("keyMappings")) {
    process.stdout.write("ANSWER\n");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return new Response(text, { status: response.status, headers: response.headers });
};
const client = await createSyncClient({
  database,
  endpoint,
  fetch: lingering,
  maxOperationsPerRequest: 100,
  retry: { retries: 2, minDelayMs: 5, maxDelayMs: 20 },
});
for (;;) {
  await client.send();
  if ((await client.events({ status: "pending", limit: 1 })).length === 0) break;
}
await client.close();
process.stdout.write("DONE\n");
