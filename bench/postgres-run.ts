// Scenario 11 of the bench (issue 19): many devices at once through server processes on libSQL
// and on PostgreSQL, in one sitting: one process on libSQL, one on PostgreSQL, two on PostgreSQL
// with the devices split between them. The bench starts a PostgreSQL of its own with its default
// settings (durability as shipped: fsync and synchronous_commit on) and stops it at the end.
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import postgres from "postgres";
import { createNodeFetch, createSyncClient, type NodeFetch } from "../client/index.ts";
import { startPostgres } from "../test-utils/postgres-server.ts";
import { type ServerProcess, startServerProcess } from "../test-utils/server-process.ts";
// Its vitest import is only used by postgresUrlForTests, which the bench never calls.
import { freshPostgresDatabase } from "../test-utils/test-postgres.ts";
import { copyTemplate, type DeviceTemplate, relatedTemplate } from "./fixtures.ts";
import { type Figure, figure } from "./measure.ts";
import { processCpuMs } from "./process-cpu-ms.ts";
import { warmUpServer } from "./warm-up-server.ts";

/** What many devices sending at once to some endpoints measured. */
export interface DevicesSent {
  readonly seconds: number;
  readonly applied: number;
  readonly batches: number;
  /** Sends that threw, rejected operations, and operations that did not arrive (short sends). */
  readonly errors: number;
  /** The distinct messages of the sends that threw, with how many threw each. */
  readonly messages: ReadonlyMap<string, number>;
  readonly latenciesMs: readonly number[];
}

/**
 * `devices` copies of the template under client ids of their own, device i sending to
 * `endpoints[i % endpoints.length]` with its own keep-alive sockets, no retries. `send()` sends
 * them all at once (call it once); `close()` closes the clients.
 */
export async function prepareDevices(
  dir: string,
  template: DeviceTemplate,
  endpoints: readonly string[],
  devices: number,
  tag: string,
): Promise<{ send(): Promise<DevicesSent>; close(): Promise<void> }> {
  const latenciesMs: number[] = [];
  const fetches: NodeFetch[] = [];
  const clients = await Promise.all(
    Array.from({ length: devices }, async (_, i) => {
      const own = createNodeFetch();
      fetches.push(own);
      const timedFetch: typeof fetch = async (input, init) => {
        const started = performance.now();
        const response = await own(input, init);
        latenciesMs.push(performance.now() - started);
        return response;
      };
      return createSyncClient({
        database: await copyTemplate(
          template,
          join(dir, `stores-device-${tag}-${i}.db`),
          `stores-device-${tag}-${i}`,
        ),
        endpoint: endpoints[i % endpoints.length] ?? "",
        fetch: timedFetch,
        maxOperationsPerRequest: 1000,
        retry: { retries: 0 },
      });
    }),
  );
  return {
    async send() {
      const messages = new Map<string, number>();
      const started = performance.now();
      const reports = await Promise.all(
        clients.map((client) =>
          client.send().catch((error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            messages.set(message, (messages.get(message) ?? 0) + 1);
            return undefined;
          }),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      let applied = 0;
      let batches = 0;
      let errors = 0;
      for (const report of reports) {
        if (report === undefined) {
          errors += 1;
          continue;
        }
        applied += report.applied;
        batches += report.batches;
        errors += report.rejected + Math.max(0, template.operations - report.applied);
      }
      return { seconds, applied, batches, errors, messages, latenciesMs };
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      for (const own of fetches) own.close();
    },
  };
}

/** The configurations, each measured on a fresh database with fresh server processes. */
const configurations = [
  { key: "libsql1", label: "1 process on libSQL", store: "libsql", processes: 1 },
  { key: "pg1", label: "1 process on PostgreSQL", store: "postgres", processes: 1 },
  { key: "pg2", label: "2 processes on PostgreSQL", store: "postgres", processes: 2 },
] as const;
type Configuration = (typeof configurations)[number];
type ConfigurationKey = Configuration["key"];

/** One configuration's measured send. */
export interface StoreRun {
  readonly operationsPerSecond: number;
  readonly batchesPerSecond: number;
  readonly errors: number;
  readonly messages: ReadonlyMap<string, number>;
  /** Lines the server processes wrote while the devices sent (none expected). */
  readonly serverOutput: readonly string[];
  readonly latenciesMs: readonly number[];
  /** Rows of customer, invoice and invoice_line the send added to the server's database. */
  readonly rowsAdded: number;
  /** PostgreSQL only: the most server connections (application_name checkpoint-sync) seen open. */
  readonly peakConnections?: number;
  /** … of them in a transaction or running a statement (state other than idle). */
  readonly peakBusy?: number;
  /** … of them waiting for a lock (wait_event_type Lock: row locks, advisory locks). */
  readonly peakLockWaits?: number;
  readonly samples?: number;
  /** Busy connections over the samples, by state, wait event and the start of the statement. */
  readonly busyStates?: ReadonlyMap<string, number>;
  /** CPU milliseconds per 1,000 operations applied, by side. */
  readonly cpuPer1000: { devices: number; servers: number; postgres?: number };
  /** How busy the whole machine was during the send, in cores (all processes, ours or not). */
  readonly machineCores: number;
  /** … of which not by the devices, the server processes or PostgreSQL: other work's noise. */
  readonly otherCores: number;
}

/** The machine's busy and total jiffies so far (first line of /proc/stat). */
function machineJiffies(): { busy: number; total: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  // idle and iowait are the 4th and 5th.
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** The fields of /proc/PID/stat after the command name (state first); undefined if gone. */
function statFields(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** The postmaster listening on `port`: the process started with `-p PORT` by startPostgres. */
function postmasterPid(port: string): string | undefined {
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const p = args.indexOf("-p");
      if (p >= 0 && args[p + 1] === port && args.includes("-D")) return pid;
    } catch {
      // A process that ended while the folder was read.
    }
  }
  return undefined;
}

/**
 * CPU milliseconds of a PostgreSQL server so far: the postmaster's own, that of the backends it
 * has reaped (its cutime and cstime) and that of its live children (backends, WAL writer,
 * checkpointer, …). Ten-millisecond resolution.
 */
function postgresCpuMs(postmaster: string): number {
  // utime, stime, cutime, cstime are fields 12–15 counted from state (1).
  const ticks = (fields: string[] | undefined) =>
    fields ? [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0) : 0;
  let sum = ticks(statFields(postmaster));
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || pid === postmaster) continue;
    const fields = statFields(pid);
    if (fields?.[1] === postmaster) sum += ticks(fields);
  }
  return sum * 10;
}

/** Rows of the example model's related tables, on either store. */
async function relatedRows(url: string): Promise<number> {
  const text =
    "SELECT (SELECT count(*) FROM customer) + (SELECT count(*) FROM invoice) + (SELECT count(*) FROM invoice_line) AS n";
  if (url.startsWith("file:")) {
    const client = createClient({ url });
    try {
      return Number((await client.execute(text)).rows[0]?.n);
    } finally {
      client.close();
    }
  }
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const [row] = await sql.unsafe(text);
    return Number(row?.n);
  } finally {
    await sql.end();
  }
}

/**
 * Samples the server connections of the database of `url` every `everyMs` until `stop()`:
 * the peaks of open, busy and lock-waiting ones. Runs in the load generator's event loop, so
 * under load the interval stretches (the sample count says by how much).
 */
function sampleConnections(url: string, everyMs: number) {
  const sql = postgres(url, {
    max: 1,
    onnotice: () => undefined,
    connection: { application_name: "sync-bench-sampler" },
  });
  const peak = { open: 0, busy: 0, waiting: 0, samples: 0 };
  /** Busy connections seen, by what they waited for and the start of their statement. */
  const seen = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sql.unsafe(
        `SELECT state, wait_event_type, wait_event,
          left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS query
        FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'checkpoint-sync'`,
      );
      const busy = rows.filter((row) => row.state !== "idle");
      peak.open = Math.max(peak.open, rows.length);
      peak.busy = Math.max(peak.busy, busy.length);
      peak.waiting = Math.max(
        peak.waiting,
        busy.filter((row) => row.wait_event_type === "Lock").length,
      );
      peak.samples += 1;
      for (const row of busy) {
        const what = `${row.state}, ${row.wait_event_type ?? "on CPU"}/${row.wait_event ?? "-"}: ${row.query}`;
        seen.set(what, (seen.get(what) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  // Kept for stop(): a failed sample must fail the run, not the process as unhandled.
  const ended = loop.then(
    () => undefined,
    (error: unknown) => error,
  );
  return {
    async stop() {
      running = false;
      const failure = await ended;
      await sql.end();
      if (failure !== undefined) throw failure;
      return { ...peak, seen };
    },
  };
}

/** Options of {@link storesRun}. */
export interface StoresRunOptions {
  readonly dir: string;
  /** Devices sending at once in each configuration. */
  readonly devices: number;
  /** Customers per device (13 operations each: 3 invoices of 3 lines). */
  readonly customers: number;
  /** Operations per batch: a checkpoint after every this many events. */
  readonly batchOperations: number;
  /** Measured rounds; each runs every configuration once, the order reversed every other round. */
  readonly rounds: number;
  /** An unmeasured round first (the first processes of a sitting run slow). */
  readonly warmUpRound: boolean;
  /** Sent to every fresh server process before the measured send. */
  readonly warmUp: readonly DeviceTemplate[];
}

/** Every configuration's measured runs, in the order of the rounds. */
export type StoresRuns = Record<ConfigurationKey, StoreRun[]>;

/** The three configurations, alternated over the rounds, on one PostgreSQL started for them. */
export async function storesRun(options: StoresRunOptions): Promise<StoresRuns> {
  const { dir, devices, customers, batchOperations, rounds, warmUpRound, warmUp } = options;
  const template = await relatedTemplate(dir, customers, batchOperations);
  const pg = await startPostgres();
  const runs: StoresRuns = { libsql1: [], pg1: [], pg2: [] };
  try {
    const port = new URL(pg.url).port;
    const postmaster = postmasterPid(port);
    const measureOne = async (config: Configuration, tag: string): Promise<StoreRun> => {
      const database =
        config.store === "postgres" ? await freshPostgresDatabase(pg.url) : undefined;
      const url = database?.url ?? `file:${join(dir, `stores-server-${tag}.db`)}`;
      const processes: ServerProcess[] = [];
      let sending: Awaited<ReturnType<typeof prepareDevices>> | undefined;
      let sampler: ReturnType<typeof sampleConnections> | undefined;
      try {
        // One after the other: each applies the migrations (the second finds them applied).
        // The pool size is the processes' own (SYNC_PG_POOL_SIZE, default 10); libSQL takes none.
        const env = config.store === "postgres" ? {} : { SYNC_PG_POOL_SIZE: "" };
        for (let i = 0; i < config.processes; i++)
          processes.push(await startServerProcess(url, env));
        for (const [i, server] of processes.entries())
          await warmUpServer(dir, server.endpoint, warmUp, `${tag}-${i}`);
        const endpoints = processes.map((server) => server.endpoint);
        sending = await prepareDevices(dir, template, endpoints, devices, tag);
        const rowsBefore = await relatedRows(url);
        const serverOutput: string[] = [];
        const collect = (chunk: Buffer) => {
          for (const line of chunk.toString("utf8").split("\n"))
            if (line.trim() !== "") serverOutput.push(line);
        };
        for (const server of processes) {
          server.child.stdout?.on("data", collect);
          server.child.stderr?.on("data", collect);
        }
        sampler = database ? sampleConnections(database.url, 50) : undefined;
        const serversCpu = () =>
          processes.reduce((sum, server) => sum + (processCpuMs(server.child.pid) ?? 0), 0);
        const machineBefore = machineJiffies();
        const devicesBefore = process.cpuUsage();
        const serversBefore = serversCpu();
        const postgresBefore = postmaster && database ? postgresCpuMs(postmaster) : undefined;
        const sent = await sending.send();
        const postgresAfter = postmaster && database ? postgresCpuMs(postmaster) : undefined;
        const serversMs = serversCpu() - serversBefore;
        const devicesUsage = process.cpuUsage(devicesBefore);
        const machineAfter = machineJiffies();
        const peak = await sampler?.stop();
        sampler = undefined;
        for (const server of processes) {
          server.child.stdout?.off("data", collect);
          server.child.stderr?.off("data", collect);
        }
        await sending.close();
        sending = undefined;
        const rowsAdded = (await relatedRows(url)) - rowsBefore;
        const expected = template.operations * devices;
        const per1000 = (ms: number) => (ms * 1000) / Math.max(1, sent.applied);
        const devicesMs = (devicesUsage.user + devicesUsage.system) / 1000;
        const postgresMs =
          postgresBefore !== undefined && postgresAfter !== undefined
            ? postgresAfter - postgresBefore
            : undefined;
        const oursMs = devicesMs + serversMs + (postgresMs ?? 0);
        // The busy share of all CPUs' jiffies, in cores.
        const machineCores =
          ((machineAfter.busy - machineBefore.busy) /
            Math.max(1, machineAfter.total - machineBefore.total)) *
          cpus().length;
        return {
          operationsPerSecond: sent.applied / sent.seconds,
          batchesPerSecond: sent.batches / sent.seconds,
          // Rows the server does not hold although the devices were told they were applied.
          errors: sent.errors + Math.max(0, Math.min(expected, sent.applied) - rowsAdded),
          messages: sent.messages,
          serverOutput,
          latenciesMs: sent.latenciesMs,
          rowsAdded,
          ...(peak
            ? {
                peakConnections: peak.open,
                peakBusy: peak.busy,
                peakLockWaits: peak.waiting,
                samples: peak.samples,
                busyStates: peak.seen,
              }
            : {}),
          cpuPer1000: {
            devices: per1000(devicesMs),
            servers: per1000(serversMs),
            ...(postgresMs === undefined ? {} : { postgres: per1000(postgresMs) }),
          },
          machineCores,
          otherCores: Math.max(0, machineCores - oursMs / 1000 / sent.seconds),
        };
      } finally {
        await sampler?.stop();
        await sending?.close();
        await Promise.all(processes.map((server) => server.stop()));
        await database?.drop();
      }
    };
    const total = rounds + (warmUpRound ? 1 : 0);
    for (let round = 0; round < total; round++) {
      const measured = round - (warmUpRound ? 1 : 0);
      // A B C, then C B A: each configuration as often early as late in a round.
      const order = round % 2 === 0 ? configurations : [...configurations].reverse();
      for (const config of order) {
        const run = await measureOne(config, `${Date.now()}-${config.key}-${round}`);
        console.error(
          `  ${measured < 0 ? "warm-up round" : `round ${measured + 1}`}, ${config.label}: ${Math.round(run.operationsPerSecond).toLocaleString("en-US")} ops/s, ${run.errors} errors${run.peakConnections === undefined ? "" : `, peak ${run.peakConnections} connections`}; other work on the machine ${run.otherCores.toFixed(2)} cores`,
        );
        if (measured >= 0) runs[config.key].push(run);
      }
    }
  } finally {
    await pg.stop();
  }
  return runs;
}

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
      record(
        `${k}.peakConnections`,
        "   peak server connections",
        figure(r.map((x) => x.peakConnections ?? 0)),
        "",
      );
      record(
        `${k}.peakBusy`,
        "   … of them busy at once (peak)",
        figure(r.map((x) => x.peakBusy ?? 0)),
        "",
      );
      record(
        `${k}.peakLockWaits`,
        "   … of them waiting for a lock (peak)",
        figure(r.map((x) => x.peakLockWaits ?? 0)),
        "",
      );
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
