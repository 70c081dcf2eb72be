import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { openPostgres } from "../server/store/postgres-connection.ts";
import { syncedRows } from "../test-utils/compare-databases.ts";
import { expectIntact } from "../test-utils/invariants.ts";
import { BatchLedger, ProcessPair, pairFetch } from "../test-utils/postgres-processes.ts";
import { seededRandom } from "../test-utils/seeded-random.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import { freshPostgresDatabase, postgresUrlForTests } from "../test-utils/test-postgres.ts";
import { writeWorkload } from "../test-utils/workload.ts";

// SYNC.md, "The PostgreSQL store": server processes over one PostgreSQL database keep the
// guarantees of one. Two processes, A and B, serve 20 devices at once; answers are lost after the
// commit, batches go to the other process or to both at the same time, and each process is
// SIGKILLed during sends until it was killed there `killsPerProcess` times. Then both restart,
// every device syncs until nothing moves, and: every event was applied exactly once (or rejected
// with a reason), nothing was doubled, every outbox is empty, and every device, served by A or by
// B, holds exactly the server's rows, so the devices of A and those of B agree.

const deviceCount = 20;
const killsPerProcess = 10;
/** A device's rounds of writes and a send or sync, at most (the kills end them sooner). */
const maxRounds = 150;
/** Chances per syncBatch request during the faulty phase. */
const faults = { switchTo: 0.2, lose: 0.1, duplicate: 0.08 };

type Rows = Record<string, Array<Record<string, unknown>>>;
/** A device of the run: its client, its own process (0: A, 1: B), and the events it wrote. */
interface Device {
  readonly test: TestDevice;
  readonly home: number;
  events: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens the devices, each with a {@link pairFetch} to its own process. Their files go to tmpfs
 * where there is one: the 20 devices share this process's one event loop, which a device
 * database's commit blocks until its fsync returns (a phone has a process of its own); on disk
 * that made the devices, not the servers, the bottleneck.
 */
async function openDevices(
  pair: ProcessPair,
  ledger: BatchLedger,
  faultsOn: () => boolean,
  cleanups: Array<() => Promise<void> | void>,
): Promise<Device[]> {
  const devices: Device[] = [];
  const tmpdir = process.env.TMPDIR;
  if (existsSync("/dev/shm")) process.env.TMPDIR = "/dev/shm";
  try {
    for (let i = 0; i < deviceCount; i++) {
      const home = i % 2;
      const fetch = pairFetch(pair, home, ledger, seededRandom(500 + i), faults, faultsOn);
      cleanups.push(() => fetch.close());
      const test = await openTestDevice(pair.endpointOf(home), {
        fetch: fetch.fetch,
        maxOperationsPerRequest: 40,
        requestTimeoutMs: 15_000,
        retry: { retries: 3, minDelayMs: 20, maxDelayMs: 200 },
      });
      cleanups.push(() => test.close());
      devices.push({ test, home, events: 0 });
    }
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
  return devices;
}

/** Rounds of writes (a fresh workload each) and a send or a sync, until `done()`. */
async function writeAndSend(
  device: Device,
  seed: number,
  done: () => boolean,
  errors: Record<string, number>,
): Promise<void> {
  const random = seededRandom(seed);
  const client = device.test.client;
  for (let round = 0; round < maxRounds && !done(); round++) {
    device.events += await client.transaction((w) =>
      writeWorkload(w, {
        events: 15 + Math.floor(random() * 30),
        checkpointChance: 0.1,
        seed: seed * 1_000 + round,
      }),
    );
    await (random() < 0.3 ? client.sync() : client.send()).catch((error: { code?: string }) => {
      const code = error.code ?? String(error);
      errors[code] = (errors[code] ?? 0) + 1;
    });
    // A pause, as an app's writes come: the CPU left over is what the standbys start on.
    await sleep(500 + random() * 1_000);
  }
}

/**
 * SIGKILLs process `index` until `killsPerProcess` kills landed while a syncBatch request to it
 * was in flight (at most twice as many kills): each once its standby is ready and a request is
 * under way (or after 3 s), at a random moment of it. A and B each have such a loop at once.
 */
async function killDuringSends(pair: ProcessPair, index: number, seed: number): Promise<void> {
  const random = seededRandom(seed);
  while (
    (pair.killsInFlight[index] ?? 0) < killsPerProcess &&
    (pair.kills[index] ?? 0) < 2 * killsPerProcess
  ) {
    await pair.standbyReady(index);
    const until = Date.now() + 3_000;
    while ((pair.inFlight[index] ?? 0) === 0 && Date.now() < until) await sleep(2);
    await sleep(random() * 40);
    await pair.killAndReplace(index);
    await sleep(100 + random() * 300);
  }
}

/** Every device syncs, round after round, until a round moves nothing; returns the rounds. */
async function settle(devices: readonly Device[]): Promise<number> {
  for (let round = 1; round <= 8; round++) {
    const moved = await Promise.all(
      devices.map(({ test }) =>
        test.client.sync().then(
          ({ send, receive }) =>
            send.applied + send.rejected + receive.applied + receive.removed + receive.held,
          () => -1,
        ),
      ),
    );
    if (round > 1 && moved.every((n) => n === 0)) return round;
  }
  throw new Error("the devices never settled: a sync kept failing or moving rows");
}

/**
 * What the server must hold once every event was answered: rows per table (applied inserts less
 * applied deletes), and each client's events by verdict (`UNANSWERED`: none came).
 */
function accounts(ledger: BatchLedger) {
  const rows: Record<string, number> = {};
  const byClient: Record<string, Record<string, number>> = {};
  for (const [event, { table = "", kind, status = "UNANSWERED" }] of ledger.events) {
    const clientId = event.slice(0, event.lastIndexOf("/"));
    const counts = byClient[clientId] ?? {};
    byClient[clientId] = counts;
    counts[status] = (counts[status] ?? 0) + 1;
    const step = status !== "APPLIED" ? 0 : kind === "INSERT" ? 1 : kind === "DELETE" ? -1 : 0;
    rows[table] = (rows[table] ?? 0) + step;
  }
  return { rows, byClient };
}

/** What `mine` lacks of `theirs` and holds beyond it, a line per table (empty: equal). */
function differences(label: string, mine: Rows, theirs: Rows): string[] {
  const found: string[] = [];
  for (const [table, rows] of Object.entries(theirs)) {
    const have = new Set((mine[table] ?? []).map((row) => JSON.stringify(row)));
    const want = new Set(rows.map((row) => JSON.stringify(row)));
    const missing = [...want].filter((row) => !have.has(row));
    const extra = [...have].filter((row) => !want.has(row));
    if (missing.length + extra.length > 0) {
      found.push(
        `${label} ${table}: ${missing.length} missing, e.g. ${missing[0]}, ${extra.length} extra, e.g. ${extra[0]}`,
      );
    }
  }
  return found;
}

/** The guarantees at the end, against the server's rows `onServer`. */
async function expectGuarantees(devices: readonly Device[], ledger: BatchLedger, onServer: Rows) {
  expect(ledger.violations, "exchanges that broke a guarantee").toEqual([]);
  // Nothing lost: every event of every device got the server's verdict, here all APPLIED.
  const { rows, byClient } = accounts(ledger);
  for (const { test, events } of devices) {
    expect(byClient[test.client.clientId], `verdicts of ${test.client.clientId}`).toEqual({
      APPLIED: events,
    });
  }
  // Nothing doubled: the server holds the rows of the applied inserts, less the applied deletes.
  for (const [table, list] of Object.entries(onServer)) {
    expect(list.length, `${table} rows on the server`).toBe(rows[table] ?? 0);
  }
  // Agreement and receive convergence: each device, of A or of B, holds the server's rows.
  const found: string[] = [];
  for (const [i, { test, home }] of devices.entries()) {
    await expectIntact(test.rows, `device ${i}`);
    const outbox = await test.rows(
      "SELECT status, count(*) AS n FROM sync_outbox WHERE kind != 'checkpoint' GROUP BY status",
    );
    expect(outbox, `device ${i}: events left in the outbox`).toEqual([]);
    const label = `device ${i} (of ${"AB"[home]})`;
    found.push(...differences(label, await syncedRows(test.rows), onServer));
  }
  expect(found, "devices that differ from the server").toEqual([]);
}

describe("two server processes over one PostgreSQL", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  // About 80 s on a quiet 2-core machine; twice that while other work shares the cores.
  it(`keeps the guarantees with ${deviceCount} devices at once, lost answers, batches delivered to both, and each process SIGKILLed ${killsPerProcess} times during sends`, {
    timeout: 240_000,
  }, async () => {
    const started = Date.now();
    const database = await freshPostgresDatabase(postgresUrlForTests());
    cleanups.push(() => database.drop());
    const pair = await ProcessPair.start(database.url);
    cleanups.push(() => pair.stop());
    const ledger = new BatchLedger();
    let faulty = true;
    const devices = await openDevices(pair, ledger, () => faulty, cleanups);

    // The faulty phase: every device writes and sends while A and B are killed.
    const errors: Record<string, number> = {};
    let killing = true;
    const killers = Promise.all([0, 1].map((i) => killDuringSends(pair, i, 77 + i))).finally(() => {
      killing = false;
    });
    const loops = devices.map((d, i) => writeAndSend(d, 1_000 + i, () => !killing, errors));
    await Promise.all([killers, ...loops]);
    const faultyEnd = Date.now();

    // No new writes: both processes restarted, each device syncs through its own until idle.
    faulty = false;
    await pair.restartBoth();
    const rounds = await settle(devices);
    const server = openPostgres(database.url, 2);
    cleanups.push(() => server.end());
    const onServer = await syncedRows(async (sql) => [...(await server.unsafe(sql))]);

    const events = devices.reduce((sum, d) => sum + d.events, 0);
    const held = Object.values(onServer).reduce((sum, list) => sum + list.length, 0);
    const { posts, lost, switched, both, bothNew } = ledger.counts;
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `postgres processes: ${deviceCount} devices, ${events} events, ${ledger.posted.size} batches in ${posts} posts, kills A ${pair.kills[0]} (${pair.killsInFlight[0]} during a send) B ${pair.kills[1]} (${pair.killsInFlight[1]}), ${ledger.committedUnanswered} batches committed whose answer a kill took, ${lost} answers lost, ${both} batches delivered to both at once (${bothNew} new: one applied, one replayed), ${switched} sent to the other process, whole-request errors ${JSON.stringify(ledger.errors)}, device errors ${JSON.stringify(errors)}, ${held} rows on the server, ${rounds} settling rounds, faulty phase ${seconds(faultyEnd - started)}, total ${seconds(Date.now() - started)}${pair.stderr.length > 0 ? `\nserver stderr:\n${pair.stderr.slice(0, 20).join("\n")}` : ""}`,
    );
    expect(pair.killsInFlight, "kills during a send, of A and of B").toEqual([
      killsPerProcess,
      killsPerProcess,
    ]);
    // No request failed but through the faults injected: no server error, no refusal.
    expect(ledger.errors, "whole-request errors the servers answered").toEqual({});
    const unexpected = Object.keys(errors).filter((code) => code !== "NETWORK");
    expect(unexpected, "device errors but NETWORK").toEqual([]);
    await expectGuarantees(devices, ledger, onServer);
  });
});
