// `npm run bench` (full) or `npm run bench -- --quick`: the sync benchmarks, printed as one table
// and written to bench/results/latest.json. The server runs in its own process (npm start's code).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { tempDir } from "../test-utils/temp-dir.ts";
import { authRun } from "./auth-run.ts";
import { clientProcessRun } from "./client-process-run.ts";
import { conflictProcessRun } from "./conflict-process-run.ts";
import { locationTemplate, relatedTemplate } from "./fixtures.ts";
import { limitRun } from "./limit-run.ts";
import { manyDevicesRun } from "./many-devices-run.ts";
import { type Figure, figure, repeat } from "./measure.ts";
import { receiveRun } from "./receive-run.ts";
import { type SendRun, type SendRunOptions, sendRun } from "./send-run.ts";
import { storesScenario } from "./stores-scenario.ts";
import { warmUpTemplates } from "./warm-up-server.ts";

const quick = process.argv.includes("--quick");
const size = quick
  ? {
      n: 10_000,
      intervals: [100, 1000],
      customers: 1_000,
      perEvent: 300,
      memory: [10_000, 50_000],
      devices: 5,
      perDevice: 1_000,
      runs: 2,
      receive: 10_000,
      receiveMemory: [10_000, 50_000],
      // A smaller warm-up: the quick pass's sends are small too.
      warmUp: { locations: 5_000, customers: 300 },
      conflictRequests: 20,
      authRequests: 60,
      stores: { devices: 40, customers: 20, rounds: 1, warmUpRound: false },
    }
  : {
      n: 100_000,
      intervals: [10, 100, 1000, 10_000],
      customers: 10_000,
      perEvent: 2_000,
      memory: [10_000, 100_000, 1_000_000],
      devices: 20,
      perDevice: 5_000,
      runs: 5,
      receive: 100_000,
      receiveMemory: [10_000, 1_000_000],
      warmUp: { locations: 20_000, customers: 1_000 },
      conflictRequests: 50,
      authRequests: 200,
      stores: { devices: 48, customers: 50, rounds: 5, warmUpRound: true },
    };

const dir = tempDir("sync-bench-");
const rows: Array<[string, string, string]> = [];
const results: Record<string, unknown> = {};
const fmt = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { maximumFractionDigits: digits });
const show = (f: Figure, digits = 0) =>
  `${fmt(f.median, digits)} (${fmt(f.min, digits)}–${fmt(f.max, digits)})`;
const record = (key: string, label: string, f: Figure, unit: string, digits = 0) => {
  results[key] = { ...f, unit };
  rows.push([label, show(f, digits), unit]);
  console.error(`  ${label}: ${show(f, digits)} ${unit}`);
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

/**
 * CPU time per 1,000 operations on each side: with both processes on one machine, their sum
 * bounds throughput at cores ÷ sum, however well the two overlap.
 */
const recordCpu = (key: string, runs: readonly SendRun[]) => {
  const per1000 = (ms: number, r: SendRun) => (ms * 1000) / r.operations;
  record(
    `${key}.clientCpuMsPer1000`,
    "   CPU per 1,000 ops: client process",
    figure(runs.map((r) => per1000(r.clientCpuMs, r))),
    "ms",
    1,
  );
  record(
    `${key}.serverCpuMsPer1000`,
    "   CPU per 1,000 ops: server process",
    figure(runs.map((r) => per1000(r.serverCpuMs, r))),
    "ms",
    1,
  );
};

const bigLimits = {
  SYNC_MAX_OPERATIONS: "1000000",
  SYNC_MAX_BODY_BYTES: String(1024 * 1024 * 1024),
};

/** Sent to every fresh server process before the measured send (see warm-up-server.ts). */
const warmUp = await warmUpTemplates(dir.path, size.warmUp);

/** The measured runs of one send scenario, after a warm-up, each on fresh files. */
const sendRuns = (options: Omit<SendRunOptions, "dir" | "warmUp">) =>
  repeat(size.runs, (run) => sendRun({ dir: dir.path, warmUp, ...options }, run));

try {
  console.error(
    `bench (${quick ? "quick" : "full"}), ${size.runs} runs after a warm-up each; fixtures in ${dir.path}`,
  );

  // 1. Limit: the faster of the stack's two means (both recorded).
  const viaClient = figure(
    await repeat(size.runs, (run) => limitRun(dir.path, size.n, run, "libsql-client")),
  );
  record(
    "limit.libsqlClient",
    `1. limit: ${fmt(size.n)} rows, multi-row INSERTs through @libsql/client, one transaction`,
    viaClient,
    "rows/s",
  );
  const viaFileWriter = figure(
    await repeat(size.runs, (run) => limitRun(dir.path, size.n, run, "file-writer")),
  );
  record(
    "limit.fileWriter",
    "1. limit: the same through the writer that keeps its statements",
    viaFileWriter,
    "rows/s",
  );
  const limit = viaFileWriter.median >= viaClient.median ? viaFileWriter : viaClient;
  record("limit", "1. limit (the faster of the two)", limit, "rows/s");

  // 2. End to end by checkpoint interval.
  const e2e: Record<number, Figure> = {};
  for (const every of size.intervals) {
    const template = await locationTemplate(dir.path, size.n, every);
    const runs = await sendRuns({ template, maxOperationsPerRequest: 10_000 });
    e2e[every] = figure(runs.map((r) => r.operationsPerSecond));
    record(
      `e2e.${every}.opsPerSecond`,
      `2. end to end, checkpoint every ${fmt(every)}`,
      e2e[every],
      "ops/s",
    );
    record(`e2e.${every}.requests`, "   requests", figure(runs.map((r) => r.requests)), "");
    record(`e2e.${every}.bytes`, "   bytes on the wire", figure(runs.map((r) => r.bytes)), "bytes");
    record(
      `e2e.${every}.firstCommitMs`,
      "   time to first committed segment",
      figure(runs.map((r) => r.firstCommitSeconds * 1000)),
      "ms",
      1,
    );
    recordCpu(`e2e.${every}`, runs);
  }

  // 3. Related rows.
  const related = await relatedTemplate(dir.path, size.customers, 1000);
  const relatedRuns = await sendRuns({ template: related, maxOperationsPerRequest: 10_000 });
  const relatedFigure = figure(relatedRuns.map((r) => r.operationsPerSecond));
  record(
    "related.opsPerSecond",
    `3. related rows: ${fmt(related.operations)} ops, checkpoint every 1,000`,
    relatedFigure,
    "ops/s",
  );
  recordCpu("related", relatedRuns);

  // 4. Alternatives.
  const perEventTemplate = await locationTemplate(dir.path, size.perEvent, 0);
  const perEvent = figure(
    (await sendRuns({ template: perEventTemplate, maxOperationsPerRequest: 1 })).map(
      (r) => r.operationsPerSecond,
    ),
  );
  record(
    "alternatives.perEvent",
    `4. one request per event (${fmt(size.perEvent)} events)`,
    perEvent,
    "ops/s",
  );
  const oneShotTemplate = await locationTemplate(dir.path, size.n, 0);
  const oneShot = figure(
    (
      await sendRuns({
        template: oneShotTemplate,
        maxOperationsPerRequest: size.n,
        serverEnv: bigLimits,
      })
    ).map((r) => r.operationsPerSecond),
  );
  record(
    "alternatives.oneRequest",
    `4. one request for everything (${fmt(size.n)} ops)`,
    oneShot,
    "ops/s",
  );

  // 5. Cost of a failure at 90% of the data.
  const failure = async (label: string, every: number, maxOperationsPerRequest: number) => {
    const template = await locationTemplate(dir.path, size.n, every);
    const clean = await sendRun(
      { dir: dir.path, template, maxOperationsPerRequest, serverEnv: bigLimits, warmUp },
      -2,
    );
    const mark = clean.bytes * 0.9;
    // The connection drops under the request that carries the byte at 90% of a clean run.
    const runs = await sendRuns({
      template,
      maxOperationsPerRequest,
      serverEnv: bigLimits,
      dropRequest: (_request, before, bytes) => before <= mark && before + bytes > mark,
    });
    const extra = figure(runs.map((r) => r.bytes - clean.bytes));
    record(
      `failure.${label}.extraBytes`,
      `5. failure at 90%, ${label}: bytes sent again`,
      extra,
      "bytes",
    );
    record(
      `failure.${label}.seconds`,
      `5. failure at 90%, ${label}: time to finish`,
      figure(runs.map((r) => r.seconds)),
      "s",
      2,
    );
    const oneRequest = clean.bytes / clean.requests;
    return { extra, oneRequest };
  };
  const withCheckpoints = await failure("checkpoint every 1,000", 1000, 10_000);
  await failure("no checkpoints", 0, size.n);

  // 6. Client memory: with Node's defaults, and with the V8 setting for memory-constrained devices.
  const memoryRuns = async (flags: readonly string[], key: string, label: string) => {
    const peaks: Record<number, Figure> = {};
    for (const events of size.memory) {
      const template = await locationTemplate(dir.path, events, 1000);
      const runs = await repeat(size.runs, (run) =>
        clientProcessRun(dir.path, template, run, flags),
      );
      peaks[events] = figure(runs.map((r) => r.peakMb));
      record(
        `${key}.${events}`,
        `6. client peak RSS, outbox of ${fmt(events)}${label}`,
        peaks[events],
        "MB",
        1,
      );
      if (events === size.memory.at(-1)) {
        record(
          `${key}.${events}.sendSeconds`,
          "   its send() time",
          figure(runs.map((r) => r.ms / 1000)),
          "s",
          2,
        );
      }
    }
    return peaks;
  };
  const memory = await memoryRuns([], "memory", "");
  const smallMemory = await memoryRuns(
    ["--optimize-for-size"],
    "memoryOptimizeForSize",
    ", --optimize-for-size",
  );

  // 7. Many devices.
  const perDevice = await locationTemplate(dir.path, size.perDevice, 1000);
  const many = await repeat(size.runs, (run) =>
    manyDevicesRun(dir.path, perDevice, size.devices, run, warmUp),
  );
  const manyFigure = figure(many.map((r) => r.operationsPerSecond));
  const latencies = many.flatMap((r) => r.latenciesMs);
  const errors = many.reduce((sum, r) => sum + r.errors, 0);
  record(
    "many.opsPerSecond",
    `7. ${size.devices} devices × ${fmt(size.perDevice)} events at once`,
    manyFigure,
    "ops/s",
  );
  record("many.p50", "   request latency p50", figure([percentile(latencies, 50)]), "ms", 1);
  record("many.p99", "   request latency p99", figure([percentile(latencies, 99)]), "ms", 1);
  record("many.errors", "   errors", figure([errors]), "");

  // 8. Receive: a new device receives every row, then 1,000 changes among them.
  const receiving = await repeat(size.runs, (run) => receiveRun(dir.path, size.receive, 1000, run));
  const receiveFigure = figure(receiving.map((r) => r.rowsPerSecond));
  record(
    "receive.rowsPerSecond",
    `8. receive ${fmt(size.receive)} rows from scratch`,
    receiveFigure,
    "rows/s",
  );
  record(
    "receive.applyMs",
    "   … of which the apply (after the last page was staged)",
    figure(receiving.map((r) => r.applyMs)),
    "ms",
    1,
  );
  record(
    "receive.incrementalMs",
    `8. receive 1,000 changes among ${fmt(size.receive)}`,
    figure(receiving.map((r) => r.incrementalMs)),
    "ms",
    1,
  );
  // The device process's Node flags for the memory figures (stated in their lines). Most of the
  // growth with Node's defaults is V8's heap, not the device's: the young generation grows to 16 MB
  // semi-spaces under a receive's allocation rate, and the old one collects lazily.
  const receiveFlags: readonly string[] = ["--max-semi-space-size=1", "--max-old-space-size=48"];
  const receiveFlagsText = receiveFlags.length === 0 ? "Node's defaults" : receiveFlags.join(" ");
  const receivePeaks: Record<number, Figure> = {};
  for (const rowCount of size.receiveMemory) {
    const runs = await repeat(size.runs, (run) =>
      receiveRun(dir.path, rowCount, 0, run, receiveFlags),
    );
    receivePeaks[rowCount] = figure(runs.map((r) => r.peakMb));
    record(
      `receive.peak.${rowCount}`,
      `8. device peak RSS, receiving ${fmt(rowCount)} rows (${receiveFlagsText})`,
      receivePeaks[rowCount],
      "MB",
      1,
    );
  }

  // 9. Conflict checks (issue 17): requests of 1,000 UPDATEs with each row's version as baseVersion
  // (none stale, so the check runs and finds nothing) alternated with the same without, in one
  // in-process server, so the ratio compares like with like on a machine whose speed drifts; that
  // server in a fresh process, as the other scenarios' servers are.
  const conflictRows = 10_000;
  const conflicts = await conflictProcessRun({
    dir: dir.path,
    rows: conflictRows,
    requests: size.conflictRequests,
    operations: 1000,
  });
  const checked = figure(conflicts.checkedMs);
  const unchecked = figure(conflicts.uncheckedMs);
  const conflictRatio = checked.median / unchecked.median;
  record(
    "conflicts.checkedMs",
    `9. 1,000 UPDATEs with baseVersion among ${fmt(conflictRows)} rows (none stale), a request`,
    checked,
    "ms",
    1,
  );
  record("conflicts.uncheckedMs", "9. the same UPDATEs without baseVersion", unchecked, "ms", 1);
  record("conflicts.ratio", "   ratio of the medians", figure([conflictRatio]), "×", 3);

  // 10. Authentication (issue 18): requests of 1,000 INSERTs to a server process that verifies an
  // HS256 token (with the default subject scope) alternated with the same to an open one.
  const auth = await authRun({
    dir: dir.path,
    pairs: 2,
    requests: size.authRequests,
    warmUp: 30,
    operations: 1000,
  });
  const withToken = figure(auth.token.ms);
  const open = figure(auth.open.ms);
  // Request by request: the two requests of a pair meet the same machine speed.
  const authPairs = figure(auth.token.ms.map((ms, i) => ms / (auth.open.ms[i] ?? ms)));
  const authRatio = authPairs.median;
  const authCpuRatio = auth.token.cpuMsPerRequest / auth.open.cpuMsPerRequest;
  record(
    "auth.tokenMs",
    "10. 1,000 INSERTs with a verified token (HS256, subject scope), a request",
    withToken,
    "ms",
    1,
  );
  record("auth.openMs", "10. the same INSERTs in open mode", open, "ms", 1);
  record("auth.ratio", "   ratio, request by request", authPairs, "×", 3);
  record(
    "auth.cpuRatio",
    `   server CPU a request, token ÷ open (${fmt(auth.token.cpuMsPerRequest, 1)} ÷ ${fmt(auth.open.cpuMsPerRequest, 1)} ms)`,
    figure([authCpuRatio]),
    "×",
    3,
  );

  // 11. Many devices on libSQL and PostgreSQL, one and two server processes (bench/postgres-run.ts).
  const storesTarget = await storesScenario(
    { dir: dir.path, warmUp, batchOperations: 100, ...size.stores },
    record,
  );

  // Targets.
  const single = e2e[1000]?.median ?? 0;
  const growth = (peaks: Record<number, Figure>) => {
    const sizes = Object.keys(peaks).map(Number);
    return (peaks[Math.max(...sizes)]?.median ?? 0) - (peaks[Math.min(...sizes)]?.median ?? 0);
  };
  const targets = [
    ["end to end (every 1,000) ≥ 100,000 ops/s", single >= 100_000, `${fmt(single)} ops/s`],
    [
      "end to end ≥ 0.25 of the limit (the faster means)",
      single >= 0.25 * limit.median,
      `${fmt(single / limit.median, 3)} of the limit (${fmt(single / viaClient.median, 3)} of the @libsql/client limit)`,
    ],
    [
      "related rows ≥ 60,000 ops/s",
      relatedFigure.median >= 60_000,
      `${fmt(relatedFigure.median)} ops/s`,
    ],
    [
      "≥ 50 × one request per event",
      single >= 50 * perEvent.median,
      `${fmt(single / perEvent.median, 1)} ×`,
    ],
    [
      "failure with checkpoints: ≤ one request's bytes again",
      withCheckpoints.extra.median <= withCheckpoints.oneRequest * 1.01,
      `${fmt(withCheckpoints.extra.median)} bytes (one request ≈ ${fmt(withCheckpoints.oneRequest)})`,
    ],
    [
      `client RSS growth ${fmt(size.memory[0] ?? 0)} → ${fmt(size.memory.at(-1) ?? 0)} < 30 MB`,
      growth(memory) < 30,
      `${fmt(growth(memory), 1)} MB with Node's defaults (${fmt(growth(smallMemory), 1)} MB with --optimize-for-size)`,
    ],
    ["many devices: zero errors", errors === 0, `${errors} errors`],
    [
      "receive from scratch ≥ 0.25 of the limit (the faster means)",
      receiveFigure.median >= 0.25 * limit.median,
      `${fmt(receiveFigure.median / limit.median, 3)} of the limit (${fmt(receiveFigure.median / viaClient.median, 3)} of the @libsql/client limit; ${fmt(receiveFigure.median)} rows/s)`,
    ],
    [
      `device RSS growth receiving ${fmt(size.receiveMemory[0] ?? 0)} → ${fmt(size.receiveMemory.at(-1) ?? 0)} rows < 30 MB`,
      growth(receivePeaks) < 30,
      `${fmt(growth(receivePeaks), 1)} MB with ${receiveFlagsText}`,
    ],
    [
      "many devices ≥ 0.8 of a single device",
      manyFigure.median >= 0.8 * single,
      `${fmt(manyFigure.median / single, 2)} of single`,
    ],
    [
      "1,000 UPDATEs with baseVersion ≤ 1.25 × without",
      conflictRatio <= 1.25,
      `${fmt(conflictRatio, 3)} × (${fmt(checked.median, 1)} against ${fmt(unchecked.median, 1)} ms)`,
    ],
    [
      "1,000 INSERTs with a verified token ≤ 1.05 × open mode",
      authRatio <= 1.05,
      `${fmt(authRatio, 3)} × (median of ${auth.token.ms.length} request pairs over two process pairs; medians ${fmt(withToken.median, 1)} and ${fmt(open.median, 1)} ms; server CPU ${fmt(authCpuRatio, 3)} ×)`,
    ],
    storesTarget,
  ] as const;
  results.targets = targets.map(([name, met, value]) => ({ name, met, value }));

  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`\n${"scenario".padEnd(width)}  median (min–max)`);
  for (const [label, value, unit] of rows) console.log(`${label.padEnd(width)}  ${value} ${unit}`);
  console.log("\ntargets");
  for (const [name, met, value] of targets)
    console.log(`  ${met ? "met    " : "NOT MET"}  ${name}: ${value}`);

  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  mkdirSync(new URL("./results", import.meta.url), { recursive: true });
  writeFileSync(
    new URL(`./results/${quick ? "quick" : "latest"}.json`, import.meta.url),
    `${JSON.stringify({ date: new Date().toISOString(), mode: quick ? "quick" : "full", machine, versions: pkg.dependencies, results }, null, 2)}\n`,
  );
} finally {
  dir.remove();
}
