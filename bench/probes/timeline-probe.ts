// Dev aid: `tsx bench/probes/timeline-probe.ts N EVERY [related]`: one end-to-end send (scenario 2, or 3
// with `related` and N customers), with where each request's time goes, the client's and the
// server's clocks joined (both epoch milliseconds on one machine): posting to arrival, the body,
// the server's work, the answer's way back, and the client's turn from an answer to the next post.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createNodeFetch, createSyncClient } from "../../client/index.ts";
import { isSyncBatchRequest } from "../../test-utils/is-sync-batch-request.ts";
import { startServerProcess } from "../../test-utils/server-process.ts";
import { tempDir } from "../../test-utils/temp-dir.ts";
import { copyTemplate, locationTemplate, relatedTemplate } from "../fixtures.ts";
import { warmUpServer, warmUpTemplates } from "../warm-up-server.ts";

const [n = "100000", every = "1000", kind] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
const dir = tempDir("timeline-");
const template = await (kind === "related" ? relatedTemplate : locationTemplate)(
  dir.path,
  Number(n),
  Number(every),
);
const timingFile = join(dir.path, "server-timing.json");
const preload = fileURLToPath(new URL("./server-timing.mjs", import.meta.url));
process.env.BENCH_SERVER_NODE_ARGS = `--import ${preload}`;
const server = await startServerProcess(`file:${join(dir.path, "server.db")}`, {
  SERVER_TIMING_OUT: timingFile,
});
await warmUpServer(dir.path, server.endpoint, await warmUpTemplates(dir.path), "timeline");
const own = createNodeFetch();
const posts: Array<{ posted: number; answered: number }> = [];
const timedFetch: typeof fetch = async (input, init) => {
  if (!isSyncBatchRequest(init)) return own(input, init);
  const entry = { posted: now(), answered: 0 };
  const response = await own(input, init);
  entry.answered = now();
  posts.push(entry);
  return response;
};
const client = await createSyncClient({
  database: await copyTemplate(template, join(dir.path, "device.db")),
  endpoint: server.endpoint,
  fetch: timedFetch,
  maxOperationsPerRequest: 10_000,
});
const started = now();
const report = await client.send();
const seconds = (now() - started) / 1000;
await client.close();
own.close();
await server.stop();
const served = JSON.parse(readFileSync(timingFile, "utf8")) as Array<{
  arrived: number;
  bodyEnded: number;
  answered: number;
}>;
console.log(
  `${report.applied} operations in ${seconds.toFixed(2)} s = ${Math.round(report.applied / seconds)} ops/s, ${posts.length} requests`,
);
const phases: Record<string, number[]> = {
  "post → arrival": [],
  "body received": [],
  "server work": [],
  "answer → client": [],
  "answer → next post": [],
};
// The server's first requests are the warm-up devices'; of the measured send, the first and last
// requests start and drain the pipeline, the rest are the steady state.
const measured = served.slice(served.length - posts.length);
for (let i = 1; i < Math.min(posts.length, measured.length) - 1; i++) {
  const post = posts[i] as (typeof posts)[number];
  const serve = measured[i] as (typeof measured)[number];
  phases["post → arrival"]?.push(serve.arrived - post.posted);
  phases["body received"]?.push(serve.bodyEnded - serve.arrived);
  phases["server work"]?.push(serve.answered - serve.bodyEnded);
  phases["answer → client"]?.push(post.answered - serve.answered);
  phases["answer → next post"]?.push((posts[i + 1]?.posted ?? 0) - post.answered);
}
const quantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))] ?? 0;
for (const [phase, values] of Object.entries(phases)) {
  const sorted = values.toSorted((a, b) => a - b);
  const mean = values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  console.log(
    `${phase.padEnd(20)} mean ${mean.toFixed(2)} ms, p10/p50/p90 ${[0.1, 0.5, 0.9].map((q) => quantile(sorted, q).toFixed(2)).join(" / ")} ms`,
  );
}
// TIMELINE_SERIES=1 prints the server's work per request in ms, the warm-up's and the send's.
if (process.env.TIMELINE_SERIES) {
  const work = (list: typeof served) => list.map((s) => (s.answered - s.bodyEnded).toFixed(0));
  console.log(`warm-up: ${work(served.slice(0, served.length - posts.length)).join(" ")}`);
  console.log(`send: ${work(measured).join(" ")}`);
}
dir.remove();
