// Dev aid: `tsx bench/server-probe.ts [ops] [requests]` times syncBatch requests of location
// inserts through yoga.fetch in-process; PROFILE=file.cpuprofile writes a CPU profile.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";
import { createSyncServer } from "../server/index.ts";
import { tempDir } from "../test-utils/temp-dir.ts";
import { syncBatchDocument } from "../test-utils/test-server.ts";

const ops = Number(process.argv[2] ?? 1000);
const requests = Number(process.argv[3] ?? 20);
const dir = tempDir("server-probe-");
const sync = await createSyncServer({ database: `file:${join(dir.path, "s.db")}`, logging: false });
const body = (batch: number) =>
  JSON.stringify({
    query: syncBatchDocument,
    variables: {
      input: {
        clientId: "probe",
        batchId: `b${batch}`,
        batchSeq: batch + 1,
        operations: Array.from({ length: ops }, (_, i) => ({
          eventId: String(batch * ops + i),
          table: "location",
          kind: "INSERT",
          key: String(-(batch * ops + i + 1)),
          data: {
            device_id: "d",
            latitude: 41.39 + i / 1e5,
            longitude: 2.17,
            recorded_at: "2026-11-26T00:00:00.000Z",
          },
        })),
      },
    },
  });
const post = async (batch: number) => {
  const response = await sync.yoga.fetch("http://127.0.0.1/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body(batch),
  });
  const text = await response.text();
  if (!text.includes('"keyMappings"')) throw new Error(text.slice(0, 300));
};
await post(0);
const session = new Session();
session.connect();
const call = (method: string) =>
  new Promise<unknown>((resolve, reject) =>
    session.post(method, (e, r) => (e ? reject(e) : resolve(r))),
  );
if (process.env.PROFILE) {
  await call("Profiler.enable");
  await call("Profiler.start");
}
const times: number[] = [];
for (let i = 1; i <= requests; i++) {
  const started = performance.now();
  await post(i);
  times.push(performance.now() - started);
}
if (process.env.PROFILE) {
  const { profile } = (await call("Profiler.stop")) as { profile: unknown };
  writeFileSync(process.env.PROFILE, JSON.stringify(profile));
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] ?? 0;
console.log(
  `${ops} operations per request: median ${median.toFixed(1)} ms (${Math.round(ops / (median / 1000))} ops/s), min ${times[0]?.toFixed(1)} ms, max ${times.at(-1)?.toFixed(1)} ms over ${requests} requests`,
);
await sync.close();
dir.remove();
