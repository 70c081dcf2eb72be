// The article's two stories on one offline device and one send(), then a second device that
// receives them, and a change and a delete. `npm run demo`.
// SYNC_ENDPOINT=http://host:4000/graphql sends to a running server; without it, one starts here.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import { createSyncClient } from "../client/index.ts";
import { exampleTables as t } from "../schema/index.ts";
import { createSyncServer } from "../server/index.ts";
import { tempDir } from "../test-utils/temp-dir.ts";

const dir = tempDir("sync-demo-");
let stopServer = async (): Promise<void> => undefined;
let endpoint = process.env.SYNC_ENDPOINT;
/** The server's database file when the server runs here (its rows are compared at the end). */
let serverFile: string | undefined;
if (!endpoint) {
  serverFile = join(dir.path, "server.db");
  const sync = await createSyncServer({
    database: `file:${serverFile}`,
    graphiql: false,
  });
  const http = createServer(sync.yoga);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
  stopServer = async () => {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
    await sync.close();
  };
  console.log(`started a server in this process at ${endpoint}`);
}

const device = await createSyncClient({
  database: `file:${join(dir.path, "device.db")}`,
  endpoint,
});
console.log(`device ${device.clientId}, offline:`);

// Story 1: a customer and two invoices, with the checkpoint the article warns about in between.
const customerId = await device.insert(t.customer, {
  name: "Ada Lovelace",
  email: "ada@example.com",
});
await device.setSendCheckpoint();
const invoices = [];
for (const [day, lines] of [
  ["2026-11-26", 2],
  ["2026-11-27", 3],
] as const) {
  const invoiceId = await device.insert(t.invoice, { customerId, issuedAt: day, total: 0 });
  let total = 0;
  for (let i = 1; i <= lines; i++) {
    await device.insert(t.invoiceLine, {
      invoiceId,
      product: `item ${i}`,
      quantity: i,
      price: 9.5,
    });
    total += i * 9.5;
  }
  await device.update(t.invoice, invoiceId, { total });
  invoices.push(invoiceId);
}
console.log(
  `  customer ${customerId}, invoices ${invoices.join(", ")} (temporary keys), checkpoint after the customer`,
);

// Story 2: a day of location fixes every five minutes, a checkpoint after every 100 inserts.
let sinceCheckpoint = 0;
const start = Date.UTC(2026, 10, 26);
for (let minute = 0; minute < 24 * 60; minute += 5) {
  await device.insert(t.location, {
    deviceId: device.clientId,
    latitude: 41.39 + Math.sin(minute / 90) / 100,
    longitude: 2.17 + Math.cos(minute / 90) / 100,
    recordedAt: new Date(start + minute * 60_000).toISOString(),
  });
  if (++sinceCheckpoint === 100) {
    sinceCheckpoint = 0;
    await device.setSendCheckpoint();
  }
}
const outbox = await device.events({ limit: 10_000 });
const checkpoints = outbox.filter((event) => event.kind === "checkpoint").length;
console.log(
  `  ${outbox.length - checkpoints} events and ${checkpoints} checkpoints in the outbox\n`,
);

console.log(`send() to ${endpoint}:`);
const started = performance.now();
const report = await device.send({
  onProgress: (p) =>
    console.log(
      `  batch ${p.batchesDone}/${p.batchesTotal}: ${p.operationsDone}/${p.operationsTotal} operations`,
    ),
});
const ms = (performance.now() - started).toFixed(0);
console.log(
  `\nsent in ${ms} ms: ${report.batches} requests, ${report.applied} applied, ${report.rejected} rejected, ` +
    `${report.mappingsApplied} key mappings applied, ${report.retries} retries, ${report.bytesSent} bytes`,
);

const rows = await device.db
  .select({ id: t.invoice.id, customerId: t.invoice.customerId, total: t.invoice.total })
  .from(t.invoice);
console.log(`customer ${customerId} is now ${rows[0]?.customerId} on the device; its invoices:`);
for (const [index, row] of rows.entries()) {
  console.log(
    `  invoice ${invoices[index]} → ${row.id} (customer_id ${row.customerId}, total ${row.total})`,
  );
}
// Raw SQL through `db` (drizzle's sqlite-proxy) answers rows as arrays of values.
const [temporary] = await device.db.get<[number]>(
  sql`SELECT (SELECT count(*) FROM customer WHERE id < 0) + (SELECT count(*) FROM invoice WHERE id < 0) + (SELECT count(*) FROM invoice_line WHERE id < 0) + (SELECT count(*) FROM location WHERE id < 0) AS n`,
);
console.log(
  `temporary keys left on the device: ${temporary}; events left: ${(await device.events()).length}`,
);

// Story 3: a second device receives the first one's rows, then its changes and a delete.
const laptop = await createSyncClient({
  database: `file:${join(dir.path, "laptop.db")}`,
  endpoint,
});
const first = await laptop.sync();
console.log(
  `\nsecond device ${laptop.clientId}, sync(): ${first.receive.changes} changes received in ${first.receive.pages} pages`,
);
const [firstInvoice] = rows;
if (firstInvoice) {
  const [line] = await device.db
    .select({ id: t.invoiceLine.id })
    .from(t.invoiceLine)
    .where(sql`${t.invoiceLine.invoiceId} = ${firstInvoice.id}`)
    .limit(1);
  if (line) await device.delete(t.invoiceLine, line.id);
  await device.update(t.customer, firstInvoice.customerId, { email: "ada@analytical.engine" });
}
const upAgain = await device.sync();
const down = await laptop.sync();
console.log(
  `first device: an update and a delete, sync(): ${upAgain.send.applied} sent; second device, sync(): ${down.receive.changes} changes received (${down.receive.applied} applied)`,
);

const tables = ["customer", "invoice", "invoice_line", "location", "note"];
/** Every synced table's rows on a device, as JSON, to compare devices and the server. */
const snapshot = async (client: typeof device) =>
  JSON.stringify(
    await Promise.all(
      tables.map((table) => client.db.all(sql.raw(`SELECT * FROM ${table} ORDER BY 1`))),
    ),
  );
const phoneRows = await snapshot(device);
let same = phoneRows === (await snapshot(laptop));
let verdict = `both devices hold the same rows: ${same ? "yes" : "NO"}`;
if (serverFile) {
  const server = createClient({ url: `file:${serverFile}` });
  const serverRows = JSON.stringify(
    await Promise.all(
      tables.map(async (table) =>
        (await server.execute(`SELECT * FROM ${table} ORDER BY 1`)).rows.map((row) =>
          Array.from(row),
        ),
      ),
    ),
  );
  server.close();
  same &&= serverRows === phoneRows;
  verdict += `; the server's too: ${serverRows === phoneRows ? "yes" : "NO"}`;
}
console.log(verdict);

await laptop.close();
await device.close();
await stopServer();
dir.remove();
if (!same) process.exitCode = 1;
