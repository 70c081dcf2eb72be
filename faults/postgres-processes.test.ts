import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { exampleModel } from "../schema/index.ts";
import { openPostgres } from "../server/store/postgres-connection.ts";
import { expectIntact } from "../test-utils/invariants.ts";
import { BatchLedger, ProcessPair, pairFetch } from "../test-utils/postgres-processes.ts";
import { seededRandom } from "../test-utils/seeded-random.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import { freshPostgresDatabase, postgresUrlForTests } from "../test-utils/test-postgres.ts";
import { writeWorkload } from "../test-utils/workload.ts";

// SYNC.md, "The PostgreSQL store": several server processes over one PostgreSQL database keep the
// guarantees of one. Two processes A and B serve 20 devices at once; answers are lost after the
// commit, batches go to the other process or to both at the same time, and each process is
// SIGKILLed during sends until it was killed `killsPerProcess` times. Then every device syncs
// until nothing moves, and: every event was applied exactly once or rejected with a reason,
// nothing was doubled, every outbox is empty, and every device (served by A or by B) holds
// exactly the server's rows.

const deviceCount = 20;
const killsPerProcess = Number(process.env.PGP_KILLS ?? 10);
/** A device's rounds of writes and a send or sync, at most (the kills usually end them sooner). */
const maxRounds = Number(process.env.PGP_ROUNDS ?? 150);
const faults = { switchTo: 0.2, lose: 0.1, duplicate: 0.08 };
type Rows = Record<string, Array<Record<string, unknown>>>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `open` with the temporary folder on tmpfs where there is one. The 20 devices share this
 * process's one event loop, and a device database's commit waits for its fsync there, blocking
 * every other device (a phone has a process of its own): on disk that made the devices, not the
 * servers, the bottleneck.
 */
async function inMemoryFolder<T>(open: () => Promise<T>): Promise<T> {
  const before = process.env.TMPDIR;
  if (existsSync("/dev/shm")) process.env.TMPDIR = "/dev/shm";
  try {
    return await open();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}

/** A device of the run: the client, its fetch, its process, and what it wrote. */
interface Device {
  readonly test: TestDevice;
  readonly home: number;
  events: number;
}

/** Every synced table, rows sorted by key as text (the same order on SQLite and PostgreSQL). */
async function tablesOf(
  rows: (sql: string) => Promise<Array<Record<string, unknown>>>,
): Promise<Rows> {
  const result: Rows = {};
  for (const table of exampleModel.ordered) {
    const names = table.columns.map((c) => `"${c.name}"`).join(", ");
    const list = (await rows(`SELECT ${names} FROM "${table.name}"`)).map((row) => ({ ...row }));
    const key = (row: Record<string, unknown>) => String(row[table.key.name]);
    result[table.name] = list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  return result;
}

/** Rounds of writes (a fresh workload each) and a send or a sync, until `done()`. */
async function writeAndSend(
  device: Device,
  seed: number,
  done: () => boolean,
  errors: Record<string, number>,
): Promise<void> {
  const random = seededRandom(seed);
  for (let round = 0; round < maxRounds && !done(); round++) {
    device.events += await device.test.client.transaction((w) =>
      writeWorkload(w, {
        events: 15 + Math.floor(random() * 30),
        checkpointChance: 0.1,
        seed: seed * 1_000 + round,
      }),
    );
    const client = device.test.client;
    const t0 = Date.now();
    await (random() < 0.3 ? client.sync() : client.send()).catch((error: { code?: string }) => {
      const code = error.code ?? String(error);
      errors[code] = (errors[code] ?? 0) + 1;
    });
    if (seed === 1000)
      console.log(`DBG dev0 round ${round} ${Date.now() - t0} ms events ${device.events}`);
    // A pause, as an app's writes come: the CPU left is what the restarts run on.
    await sleep(200 + random() * 600);
  }
}

/**
 * SIGKILLs process `index` `killsPerProcess` times, each once a syncBatch request to it is in
 * flight (or after 3 s), at a random moment of it, and restarts it. A and B each have such a
 * loop, at the same time: both are sometimes down at once, as in a real outage.
 */
async function killRepeatedly(
  pair: ProcessPair,
  index: number,
  random: () => number,
): Promise<void> {
  for (let kill = 0; kill < killsPerProcess; kill++) {
    const until = Date.now() + 3_000;
    while ((pair.inFlight[index] ?? 0) === 0 && Date.now() < until) await sleep(2);
    await sleep(random() * 15);
    const t0 = Date.now();
    await pair.killAndRestart(index);
    console.log(`DBG kill ${kill} of ${index} restart ${Date.now() - t0} ms`);
    await sleep(100 + random() * 400);
  }
}

/** Every device syncs, round after round, until a round moves nothing; returns the rounds. */
async function settle(devices: readonly Device[]): Promise<number> {
  for (let round = 1; round <= 8; round++) {
    const moved = await Promise.all(
      devices.map((d) =>
        d.test.client.sync().then(
          ({ send, receive }) =>
            send.applied + send.rejected + receive.applied + receive.removed + receive.held,
          () => -1,
        ),
      ),
    );
    console.log(`DBG settle round ${round} ${JSON.stringify(moved)}`);
    if (round > 1 && moved.every((n) => n === 0)) return round;
  }
  throw new Error("the devices never settled: a sync failed or kept moving rows");
}

/** What differs between two copies of the tables, in a few words per table (empty: equal). */
function differences(label: string, mine: Rows, theirs: Rows): string[] {
  const found: string[] = [];
  for (const [table, rows] of Object.entries(theirs)) {
    const have = new Set((mine[table] ?? []).map((row) => JSON.stringify(row)));
    const want = new Set(rows.map((row) => JSON.stringify(row)));
    const missing = [...want].filter((row) => !have.has(row));
    const extra = [...have].filter((row) => !want.has(row));
    if (missing.length + extra.length > 0) {
      found.push(
        `${label} ${table}: ${missing.length} missing (${missing[0]}), ${extra.length} extra (${extra[0]})`,
      );
    }
  }
  return found;
}

describe("two server processes over one PostgreSQL", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it(`keeps every guarantee with ${deviceCount} devices, lost answers, batches delivered to both, and each process SIGKILLed ${killsPerProcess} times`, async () => {
    const started = Date.now();
    const database = await freshPostgresDatabase(postgresUrlForTests());
    cleanups.push(() => database.drop());
    const pair = await ProcessPair.start(database.url);
    cleanups.push(() => pair.stop());
    const ledger = new BatchLedger();
    let faulty = true;
    const devices: Device[] = [];
    for (let i = 0; i < deviceCount; i++) {
      const home = i % 2;
      const fetch = pairFetch(pair, home, ledger, seededRandom(500 + i), faults, () => faulty);
      const test = await inMemoryFolder(() =>
        openTestDevice(pair.endpointOf(home), {
          fetch: fetch.fetch,
          maxOperationsPerRequest: 40,
          requestTimeoutMs: 15_000,
          retry: { retries: 3, minDelayMs: 20, maxDelayMs: 200 },
        }),
      );
      cleanups.push(() => test.close());
      cleanups.push(() => fetch.close());
      devices.push({ test, home, events: 0 });
    }

    // The faulty phase: every device writes and sends while A and B are killed in turn.
    const errors: Record<string, number> = {};
    let killing = true;
    const killer = Promise.all(
      [0, 1].map((i) => killRepeatedly(pair, i, seededRandom(77 + i))),
    ).finally(() => {
      console.log(`DBG killers done ${Date.now() - started}`);
      killing = false;
    });
    await Promise.all([
      killer,
      ...devices.map((d, i) => writeAndSend(d, 1_000 + i, () => !killing, errors)),
    ]);
    const faultyEnd = Date.now();
    console.log(`DBG devices done ${Date.now() - started}`);

    // No new writes: both processes restarted, each device syncs through its own until idle.
    faulty = false;
    await Promise.all([pair.restart(0), pair.restart(1)]);
    console.log(`DBG faulty phase done ${Date.now() - started}`);
    const rounds = await settle(devices);
    console.log(`DBG settled ${Date.now() - started}`);

    const server = openPostgres(database.url, 2);
    cleanups.push(() => server.end());
    const onServer = await tablesOf(async (sql) => [...(await server.unsafe(sql))]);
    expect(ledger.violations, "exchanges that broke a guarantee").toEqual([]);
    expect(pair.kills).toEqual([killsPerProcess, killsPerProcess]);
    // Nothing lost: every event of every device has the server's verdict, all of them applied.
    const { rows, byClient } = ledger.accounts();
    const events = devices.reduce((sum, d) => sum + d.events, 0);
    for (const d of devices) {
      expect(byClient[d.test.client.clientId], `verdicts of ${d.test.client.clientId}`).toEqual({
        APPLIED: d.events,
      });
    }
    // Nothing doubled: the server holds as many rows as the applied inserts made, less deletes.
    for (const [table, list] of Object.entries(onServer))
      expect(list.length, table).toBe(rows[table] ?? 0);
    // Agreement and receive convergence: each device, served by A or by B, holds the server's rows.
    const found: string[] = [];
    for (const [i, d] of devices.entries()) {
      await expectIntact(d.test.rows, `device ${i}`);
      const outbox = await d.test.rows(
        "SELECT status, count(*) AS n FROM sync_outbox WHERE kind != 'checkpoint' GROUP BY status",
      );
      expect(outbox, `device ${i}: events left in the outbox`).toEqual([]);
      found.push(
        ...differences(`device ${i} (${"AB"[d.home]})`, await tablesOf(d.test.rows), onServer),
      );
    }
    expect(found, "devices that differ from the server").toEqual([]);

    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `postgres processes: ${deviceCount} devices, ${events} events, ${ledger.batches} batches in ${ledger.counts.posts} posts, kills A ${pair.kills[0]} (${pair.killsInFlight[0]} during a send) B ${pair.kills[1]} (${pair.killsInFlight[1]}), ${ledger.counts.lostAnswers} answers lost, ${ledger.counts.duplicates} batches delivered to both at once, ${ledger.counts.switched} sent to the other process, server refusals ${JSON.stringify(ledger.counts.errors)}, device errors ${JSON.stringify(errors)}, ${Object.values(onServer).reduce((n, l) => n + l.length, 0)} rows, ${rounds} settling rounds, faulty phase ${seconds(faultyEnd - started)} s, total ${seconds(Date.now() - started)} s`,
    );
    if (pair.stderr.length > 0)
      console.log(`server stderr:\n${pair.stderr.slice(0, 20).join("\n")}`);
  }, 180_000);
});
