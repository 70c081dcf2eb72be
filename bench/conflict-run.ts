// Scenario 9 of `npm run bench`: what checking for conflicts costs the server (issue 17). An
// in-process server (as bench/server-probe.ts runs one) holding `rows` locations takes requests
// of 1,000 UPDATEs, alternately with each row's version as `baseVersion` (and `base`, as a device
// sends them) and without, so both kinds meet the same machine speed (see TRAPS.md: it drifts).
import { join } from "node:path";
import { print } from "graphql";
import { SyncBatchDocument } from "../client/generated/graphql.ts";
import { createSyncServer } from "../server/index.ts";
import type { SyncBatchAnswer } from "../test-utils/test-server.ts";

/** What one conflict-check run measured. */
export interface ConflictRun {
  /** Milliseconds of each request whose UPDATEs carry `baseVersion` (checked, none stale). */
  readonly checkedMs: number[];
  /** Milliseconds of each request of the same UPDATEs without it (not checked). */
  readonly uncheckedMs: number[];
}

/** Options of {@link conflictRun}. */
export interface ConflictRunOptions {
  /** The server's database folder. */
  readonly dir: string;
  /** Location rows on the server before the UPDATEs. */
  readonly rows: number;
  /** Measured requests of each kind (after two unmeasured of each). */
  readonly requests: number;
  /** UPDATEs per request. */
  readonly operations: number;
}

// The client's own document: the server runs it compiled (graphql-jit), as it does a device's.
const query = print(SyncBatchDocument);
const clientId = "bench-conflicts";

/**
 * Runs the requests in the order A B B A …, so neither kind always comes first after a collection
 * or a checkpoint of the other, and throws unless every checked UPDATE was APPLIED with no
 * conflict at the version after its base (the check ran and found nothing stale).
 */
export async function conflictRun(options: ConflictRunOptions): Promise<ConflictRun> {
  const { dir, rows, requests, operations } = options;
  const sync = await createSyncServer({
    database: `file:${join(dir, `conflicts-${Date.now()}.db`)}`,
    logging: false,
  });
  let batch = 0;
  const post = async (input: unknown): Promise<{ ms: number; answer: SyncBatchAnswer }> => {
    const body = JSON.stringify({ query, variables: { input } });
    const started = performance.now();
    const response = await sync.yoga.fetch("http://127.0.0.1/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const text = await response.text();
    const ms = performance.now() - started;
    const parsed = JSON.parse(text) as { data?: { syncBatch?: SyncBatchAnswer } };
    const answer = parsed.data?.syncBatch;
    if (!answer) throw new Error(`syncBatch failed: ${text.slice(0, 300)}`);
    return { ms, answer };
  };

  try {
    // The rows, inserted by another device: each key's version and latitude tracked from here.
    const keys: number[] = [];
    const version = new Map<number, number>();
    const latitude = new Map<number, number>();
    for (let start = 0; start < rows; start += 1000) {
      const count = Math.min(1000, rows - start);
      const { answer } = await post({
        clientId: "bench-seed",
        batchId: `seed-${start}`,
        batchSeq: start / 1000 + 1,
        operations: Array.from({ length: count }, (_, i) => ({
          eventId: String(start + i),
          table: "location",
          kind: "INSERT",
          key: String(-(start + i + 1)),
          data: {
            device_id: "bench-phone",
            latitude: 41.39,
            longitude: 2.17,
            recorded_at: new Date(Date.UTC(2026, 0, 1) + (start + i) * 60_000).toISOString(),
          },
        })),
      });
      for (const mapping of answer.keyMappings) {
        const key = Number(mapping.serverKey);
        keys.push(key);
        version.set(key, 1);
        latitude.set(key, 41.39);
      }
    }
    if (keys.length !== rows) throw new Error(`seeded ${keys.length} of ${rows} rows`);

    // Each request updates the next `operations` rows in turn, so both kinds touch every row.
    let next = 0;
    const send = async (checked: boolean): Promise<number> => {
      batch += 1;
      const chosen = Array.from({ length: operations }, () => keys[next++ % keys.length] ?? 0);
      const ops = chosen.map((key, i) => {
        const value = 41 + ((batch * operations + i) % 100_000) / 1e6;
        const known = checked
          ? { baseVersion: version.get(key), base: { latitude: latitude.get(key) } }
          : {};
        return {
          ...known,
          eventId: String(i),
          table: "location",
          kind: "UPDATE",
          key: String(key),
          data: { latitude: value },
        };
      });
      const { ms, answer } = await post({
        clientId,
        batchId: `u${batch}`,
        batchSeq: batch,
        operations: ops,
      });
      answer.results.forEach((result, i) => {
        const key = chosen[i] ?? 0;
        const expected = (version.get(key) ?? 0) + 1;
        if (
          result.status !== "APPLIED" ||
          result.conflict !== null ||
          result.version !== expected
        ) {
          throw new Error(`UPDATE of location ${key} answered ${JSON.stringify(result)}`);
        }
        version.set(key, expected);
        latitude.set(key, ops[i]?.data.latitude ?? 0);
      });
      if (answer.results.length !== operations) throw new Error("an UPDATE went unanswered");
      return ms;
    };

    const run: ConflictRun = { checkedMs: [], uncheckedMs: [] };
    for (let i = -2; i < requests; i++) {
      const checkedFirst = (i & 1) === 0;
      const a = await send(checkedFirst);
      const b = await send(!checkedFirst);
      if (i < 0) continue;
      run.checkedMs.push(checkedFirst ? a : b);
      run.uncheckedMs.push(checkedFirst ? b : a);
    }

    // The check is live: a base one version behind, from another device, meets a conflict.
    const key = keys[0] ?? 0;
    const { answer } = await post({
      clientId: "bench-other",
      batchId: "stale",
      batchSeq: 1,
      operations: [
        {
          baseVersion: (version.get(key) ?? 1) - 1,
          base: { latitude: 0 },
          eventId: "0",
          table: "location",
          kind: "UPDATE",
          key: String(key),
          data: { latitude: 1 },
        },
      ],
    });
    if (answer.results[0]?.conflict == null) {
      throw new Error(`a stale UPDATE met no conflict: ${JSON.stringify(answer.results[0])}`);
    }
    return run;
  } finally {
    await sync.close();
  }
}
