// Scenario 11 of the bench (issue 19): many devices at once through server processes on libSQL
// and on PostgreSQL, in one sitting: one process on libSQL, one on PostgreSQL, two on PostgreSQL
// with the devices split between them. The bench starts a PostgreSQL of its own with its default
// settings (durability as shipped: fsync and synchronous_commit on) and stops it at the end.
import { cpus } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import postgres from "postgres";
import { startPostgres } from "../test-utils/postgres-server.ts";
import { type ServerProcess, startServerProcess } from "../test-utils/server-process.ts";
// Its vitest import is only used by postgresUrlForTests, which the bench never calls.
import { freshPostgresDatabase } from "../test-utils/test-postgres.ts";
import { type DeviceTemplate, relatedTemplate } from "./fixtures.ts";
import { machineJiffies, postgresCpuMs, postmasterPid } from "./machine-cpu.ts";
import { prepareDevices } from "./prepare-devices.ts";
import { processCpuMs } from "./process-cpu-ms.ts";
import { sampleConnections } from "./sample-connections.ts";
import { warmUpServer } from "./warm-up-server.ts";

/** The configurations, each measured on a fresh database with fresh server processes. */
export const configurations = [
  { key: "libsql1", label: "1 process on libSQL", store: "libsql", processes: 1 },
  { key: "pg1", label: "1 process on PostgreSQL", store: "postgres", processes: 1 },
  { key: "pg2", label: "2 processes on PostgreSQL", store: "postgres", processes: 2 },
] as const;
type Configuration = (typeof configurations)[number];
export type ConfigurationKey = Configuration["key"];

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
