// Scenario 11's rows of the bench table and its target line (the runs: postgres-run.ts).
import { type Figure, figure } from "./measure.ts";
import {
  type ConfigurationKey,
  configurations,
  type StoreRun,
  type StoresRunOptions,
  storesRun,
} from "./postgres-run.ts";

/** CPU per 1,000 operations of the three sides: cores ÷ this bounds throughput on one machine. */
const cpuOf = (x: StoreRun) =>
  x.cpuPer1000.devices + x.cpuPer1000.servers + (x.cpuPer1000.postgres ?? 0);

/** How bench.ts records a figure. */
type RecordFigure = (key: string, label: string, f: Figure, unit: string, digits?: number) => void;

/** The scenario's rows of the bench table; returns its target line. */
export async function storesScenario(
  options: StoresRunOptions,
  record: RecordFigure,
): Promise<readonly [string, boolean, string]> {
  const runs = await storesRun(options);
  const ops = options.customers * 13;
  const pool = process.env.SYNC_PG_POOL_SIZE || "10";
  const title = `11. ${options.devices} devices × ${ops} ops (related rows, batches of ${options.batchOperations}, PostgreSQL pool ${pool} a process)`;
  const medianOf = (key: ConfigurationKey) =>
    figure(runs[key].map((r) => r.operationsPerSecond)).median;
  for (const config of configurations) {
    const r = runs[config.key];
    const k = `stores.${config.key}`;
    record(
      `${k}.opsPerSecond`,
      `${title}, ${config.label}`,
      figure(r.map((x) => x.operationsPerSecond)),
      "ops/s",
    );
    record(
      `${k}.batchesPerSecond`,
      "   batches applied",
      figure(r.map((x) => x.batchesPerSecond)),
      "batches/s",
    );
    record(`${k}.errors`, "   errors", figure([r.reduce((sum, x) => sum + x.errors, 0)]), "");
    if (config.store === "postgres") {
      const peaks: ReadonlyArray<readonly [string, string, (x: StoreRun) => number]> = [
        ["peakConnections", "   peak server connections", (x) => x.peakConnections ?? 0],
        ["peakBusy", "   … of them busy at once (peak)", (x) => x.peakBusy ?? 0],
        ["peakLockWaits", "   … of them waiting for a lock (peak)", (x) => x.peakLockWaits ?? 0],
      ];
      for (const [name, label, pick] of peaks)
        record(`${k}.${name}`, label, figure(r.map(pick)), "");
    }
    record(
      `${k}.cpuDevices`,
      "   CPU per 1,000 ops: devices (load generator)",
      figure(r.map((x) => x.cpuPer1000.devices)),
      "ms",
      1,
    );
    record(
      `${k}.cpuServers`,
      "   CPU per 1,000 ops: server processes",
      figure(r.map((x) => x.cpuPer1000.servers)),
      "ms",
      1,
    );
    if (config.store === "postgres")
      record(
        `${k}.cpuPostgres`,
        "   CPU per 1,000 ops: PostgreSQL",
        figure(r.map((x) => x.cpuPer1000.postgres ?? 0)),
        "ms",
        1,
      );
    const latencies = r.flatMap((x) => x.latenciesMs).sort((a, b) => a - b);
    const at = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
    record(`${k}.p50`, "   request latency p50", figure([at(0.5)]), "ms", 1);
    record(`${k}.p99`, "   request latency p99", figure([at(0.99)]), "ms", 1);
    record(`${k}.cpuAll`, "   CPU per 1,000 ops: all three", figure(r.map(cpuOf)), "ms", 1);
    record(
      `${k}.machineCores`,
      "   machine busy (all processes)",
      figure(r.map((x) => x.machineCores)),
      "cores",
      2,
    );
    record(
      `${k}.otherCores`,
      "   … of it other work on the machine",
      figure(r.map((x) => x.otherCores)),
      "cores",
      2,
    );
    const states = new Map<string, number>();
    for (const x of r)
      for (const [what, n] of x.busyStates ?? []) states.set(what, (states.get(what) ?? 0) + n);
    const samples = r.reduce((sum, x) => sum + (x.samples ?? 0), 0);
    for (const [what, n] of [...states].sort((a, b) => b[1] - a[1]).slice(0, 8))
      console.error(
        `   ${config.label}, busy connections on average: ${(n / samples).toFixed(2)} ${what}`,
      );
    for (const x of r) {
      for (const [message, count] of x.messages)
        console.error(`   ${config.label}: ${count} × send failed: ${message}`);
      for (const line of x.serverOutput.slice(0, 20))
        console.error(`   ${config.label}, server said: ${line}`);
    }
  }
  const pairRatios = runs.pg2.map(
    (r, i) => r.operationsPerSecond / (runs.pg1[i]?.operationsPerSecond ?? Number.NaN),
  );
  const ratio = medianOf("pg2") / medianOf("pg1");
  record(
    "stores.ratio",
    "   2 processes ÷ 1 process on PostgreSQL (medians)",
    figure([ratio]),
    "×",
    3,
  );
  record("stores.pairRatios", "   the same, round by round", figure(pairRatios), "×", 3);
  // Other work takes cores from some runs and not others; CPU per operation hardly moves with it.
  const cpuRatio = figure(runs.pg1.map(cpuOf)).median / figure(runs.pg2.map(cpuOf)).median;
  record(
    "stores.cpuRatio",
    "   the ratio CPU per op predicts (1 process's ÷ 2 processes')",
    figure([cpuRatio]),
    "×",
    3,
  );
  const noise = Math.max(...[...runs.pg1, ...runs.pg2].map((r) => r.otherCores));
  const errors = configurations.reduce(
    (sum, c) => sum + runs[c.key].reduce((s, r) => s + r.errors, 0),
    0,
  );
  const peak = Math.max(...runs.pg2.map((r) => r.peakConnections ?? 0));
  return [
    "2 processes on PostgreSQL ≥ 1.3 × 1 process, zero errors",
    ratio >= 1.3 && errors === 0,
    `${ratio.toFixed(3)} × (${Math.round(medianOf("pg2")).toLocaleString("en-US")} against ${Math.round(medianOf("pg1")).toLocaleString("en-US")} ops/s; libSQL 1 process ${Math.round(medianOf("libsql1")).toLocaleString("en-US")}), ${errors} errors, peak ${peak} connections; other work up to ${noise.toFixed(2)} cores${noise > 0.25 ? ` (noisy: CPU per op predicts ${cpuRatio.toFixed(3)} ×)` : ""}`,
  ] as const;
}
