// Dev aid: `tsx bench/probes/profile-run.ts N EVERY DIR [related]`: scenario 2 (or 3 with `related`, N
// customers) once after a warm-up run, with CPU
// profiles of the client (this process, DIR/client.cpuprofile) and of the server process (DIR/server/).
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { tempDir } from "../../test-utils/temp-dir.ts";
import { locationTemplate, relatedTemplate } from "../fixtures.ts";
import { sendRun } from "../send-run.ts";

const [n = "100000", every = "1000", profileDir = "/tmp/prof", kind] = process.argv.slice(2);
mkdirSync(profileDir, { recursive: true });
const dir = tempDir("profile-run-");
const template = await (kind === "related" ? relatedTemplate : locationTemplate)(
  dir.path,
  Number(n),
  Number(every),
);
await sendRun({ dir: dir.path, template, maxOperationsPerRequest: 10_000 }, 0);
const session = new Session();
session.connect();
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
await post("Profiler.enable");
await post("Profiler.start");
process.env.BENCH_SERVER_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${profileDir}/server`;
const result = await sendRun({ dir: dir.path, template, maxOperationsPerRequest: 10_000 }, 1);
const { profile } = (await post("Profiler.stop")) as { profile: unknown };
writeFileSync(`${profileDir}/client.cpuprofile`, JSON.stringify(profile));
console.log(`${Math.round(result.operationsPerSecond)} ops/s, ${result.requests} requests`);
dir.remove();
