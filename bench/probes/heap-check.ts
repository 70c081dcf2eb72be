// Dev aid: `node --expose-gc --import tsx bench/probes/heap-check.ts N`: heap after send() and a full GC.
import { join } from "node:path";
import { createSyncClient } from "../../client/index.ts";
import { startServerProcess } from "../../test-utils/server-process.ts";
import { tempDir } from "../../test-utils/temp-dir.ts";
import { copyTemplate, locationTemplate } from "../fixtures.ts";

const n = Number(process.argv[2] ?? 100_000);
const dir = tempDir("heap-");
const template = await locationTemplate(dir.path, n, 1000);
const server = await startServerProcess(`file:${join(dir.path, "s.db")}`);
const client = await createSyncClient({
  database: await copyTemplate(template, join(dir.path, "d.db")),
  endpoint: server.endpoint,
});
const mb = (x: number) => (x / 1e6).toFixed(1);
const show = (label: string) => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  console.log(
    `${label}: rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)}`,
  );
};
show("before send");
await client.send();
show("after send");
await client.close();
await server.stop();
dir.remove();
