// Dev aid: `tsx bench/probes/probe.ts related|locations N EVERY` sends one fixture in-process, with SQL
// timings (bench/probes/trace-sql.ts) on stderr, to find where the time goes.

import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { Session } from "node:inspector";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createSyncClient } from "../../client/index.ts";
import { createSyncServer } from "../../server/index.ts";
import { startServerProcess } from "../../test-utils/server-process.ts";
import { tempDir } from "../../test-utils/temp-dir.ts";
import { copyTemplate, locationTemplate, relatedTemplate } from "../fixtures.ts";
import { resetSqlTrace } from "./trace-sql.ts";

const [kind = "locations", n = "10000", every = "1000"] = process.argv.slice(2);
const dir = tempDir("probe-");
const template =
  kind === "related"
    ? await relatedTemplate(dir.path, Number(n), Number(every))
    : await locationTemplate(dir.path, Number(n), Number(every));
// SERVER_PROCESS=1 puts the server in its own process, so the profile shows the client alone.
const serverUrl = `file:${join(dir.path, "server.db")}`;
const external = process.env.SERVER_PROCESS ? await startServerProcess(serverUrl) : undefined;
const sync = external ? undefined : await createSyncServer({ database: serverUrl, logging: false });
const http = sync && createServer(sync.yoga);
if (http) await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
const address = http?.address() as AddressInfo | undefined;
const endpoint = external?.endpoint ?? `http://127.0.0.1:${address?.port}/graphql`;
const client = await createSyncClient({
  database: await copyTemplate(template, join(dir.path, "device.db")),
  endpoint,
  maxOperationsPerRequest: 10_000,
});
console.error("--- send");
resetSqlTrace();
const session = new Session();
session.connect();
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
if (process.env.PROFILE) {
  await post("Profiler.enable");
  await post("Profiler.start");
}
const started = performance.now();
const report = await client.send();
const ms = performance.now() - started;
if (process.env.PROFILE) {
  const { profile } = (await post("Profiler.stop")) as { profile: unknown };
  writeFileSync(process.env.PROFILE, JSON.stringify(profile));
}
console.error(
  `send: ${ms.toFixed(0)} ms, ${Math.round(report.applied / (ms / 1000))} ops/s`,
  report,
);
await client.close();
http?.closeAllConnections();
http?.close();
await sync?.close();
await external?.stop();
dir.remove();
