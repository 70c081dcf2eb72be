import { describe, expect, it } from "vitest";
import { syncedRows } from "../test-utils/compare-databases.ts";
import { startHttpServer } from "../test-utils/http-server.ts";
import { isSyncBatchRequest } from "../test-utils/is-sync-batch-request.ts";
import { seededRandom } from "../test-utils/seeded-random.ts";
import { openTestDevice } from "../test-utils/test-device.ts";
import { writeWorkload } from "../test-utils/workload.ts";

/** Fixed seeds, fixed count: CI replays the same histories every time. */
const seeds = Array.from({ length: 40 }, (_, i) => 9_001 + i);

interface WireOperation {
  readonly eventId: string;
  data?: unknown;
}

interface SyncBatchResult {
  readonly replayed: boolean;
  readonly results: ReadonlyArray<{
    readonly eventId: string;
    readonly status: string;
    readonly error: { readonly code: string } | null;
  }>;
}

/**
 * One random history of captures, sends and app actions (retrying rejected events, removing
 * events, capturing more) taken before and after answers while a send runs, with lost answers,
 * refused connections, app restarts and small server limits (so batches come back too large). The
 * server rejects the events the history spoils. Every event is accounted for from the wire: sent
 * in order, a batch id never resent with other operations, applied exactly once or removed by the
 * app and never applied, reported in flight while its batch is open, nothing left behind.
 */
async function runHistory(seed: number): Promise<{ violations: string[]; log: string[] }> {
  const random = seededRandom(seed);
  const chance = (p: number) => random() < p;
  const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(random() * list.length)];
  const violations: string[] = [];
  const log: string[] = [];
  /** Events the wire spoils (an unknown column), so the server rejects them. */
  const spoiled = new Set<number>();
  /** Per batch id: the operations as first sent, their seqs, when, and which were spoiled. */
  const batches = new Map<
    string,
    { text: string; seqs: number[]; postedAt: number; spoiled: Set<number> }
  >();
  const appliedIn = new Map<number, Set<string>>();
  const appliedAt = new Map<number, number>();
  const tooLarge = new Set<string>();
  const removed = new Set<number>();
  const retriedAt = new Map<number, number>();
  const kinds = new Map<number, string>();
  let clock = 0;
  let faultChance = 0.15;
  let appActsDuringSend = true;
  let sending = false;
  let workloadSeed = seed * 1_000;
  const serverMax = chance(0.3) ? 1 + Math.floor(random() * 6) : 10_000;
  const clientMax = 1 + Math.floor(random() * 12);
  const server = await startHttpServer({ limits: { maxOperationsPerRequest: serverMax } });

  const fetchWith: typeof fetch = async (input, init) => {
    if (!isSyncBatchRequest(init)) return fetch(input, init);
    const body = init?.body;
    const request = JSON.parse(
      typeof body === "string" ? body : Buffer.from(body as Uint8Array).toString(),
    );
    const { batchId, operations } = request.variables.input as {
      batchId: string;
      operations: WireOperation[];
    };
    const seqs = operations.map((operation) => Number(operation.eventId));
    const text = JSON.stringify(operations);
    let batch = batches.get(batchId);
    if (batch && batch.text !== text) {
      violations.push(`batch ${batchId} resent with other operations: ${batch.seqs} vs ${seqs}`);
    }
    if (seqs.some((seq, i) => i > 0 && seq <= (seqs[i - 1] ?? 0))) {
      violations.push(`batch ${batchId} out of seq order: ${seqs}`);
    }
    for (const seq of seqs) {
      if (removed.has(seq)) violations.push(`event ${seq} sent after the app removed it`);
      if (kinds.get(seq) === "checkpoint") violations.push(`checkpoint ${seq} sent`);
    }
    if (!batch) {
      clock += 1;
      batch = { text, seqs, postedAt: clock, spoiled: new Set(seqs.filter((s) => spoiled.has(s))) };
      batches.set(batchId, batch);
    }
    log.push(`post ${batchId.slice(0, 8)} [${seqs}]`);
    // Spoiled as at the first attempt, so that a resend is the same request.
    for (const operation of operations) {
      if (batch.spoiled.has(Number(operation.eventId)) && typeof operation.data === "object") {
        operation.data = { ...(operation.data as object), no_such_column: 1 };
      }
    }
    if (sending && appActsDuringSend && chance(0.4)) await appActs("before the answer");
    const fault = chance(faultChance) ? pick(["refuse", "lose", "lose"] as const) : "none";
    if (fault === "refuse") {
      log.push("  refused");
      throw new TypeError("fetch failed: connection refused (test)");
    }
    const response = await fetch(input, { ...init, body: JSON.stringify(request) });
    const answerText = await response.text();
    const answer = JSON.parse(answerText) as {
      data?: { syncBatch?: SyncBatchResult | null };
      errors?: Array<{ extensions?: { code?: string } }>;
    };
    const result = answer.data?.syncBatch;
    if (result) {
      for (const { eventId, status } of result.results) {
        if (status !== "APPLIED") continue;
        const seq = Number(eventId);
        appliedIn.set(seq, new Set([...(appliedIn.get(seq) ?? []), batchId]));
        if (!appliedAt.has(seq)) appliedAt.set(seq, batch.postedAt);
      }
      const rejected = result.results.filter((r) => r.status !== "APPLIED");
      log.push(
        `  answer${result.replayed ? " (replayed)" : ""}, rejected [${rejected.map((r) => `${r.eventId}:${r.error?.code}`)}]`,
      );
    } else {
      const code = answer.errors?.[0]?.extensions?.code;
      log.push(`  error ${code}`);
      if (code === "BATCH_TOO_LARGE") tooLarge.add(batchId);
      if (code === "BATCH_ID_REUSED") violations.push(`BATCH_ID_REUSED for ${batchId}`);
    }
    if (sending && appActsDuringSend && chance(0.3)) await appActs("after the answer");
    if (fault === "lose") {
      log.push("  answer lost");
      throw new TypeError("fetch failed: connection reset (test)");
    }
    return new Response(answerText, { status: response.status, headers: response.headers });
  };

  const device = await openTestDevice(server.endpoint, {
    fetch: fetchWith,
    maxOperationsPerRequest: clientMax,
    retry: { retries: 0 },
  });

  const capture = async (events: number) => {
    const [row] = await device.rows("SELECT coalesce(max(seq), 0) AS last FROM sync_outbox");
    const before = Number(row?.last);
    await device.client.transaction((w) =>
      writeWorkload(w, { events, checkpointChance: 0.15, seed: workloadSeed++ }),
    );
    if (chance(0.3)) await device.client.setSendCheckpoint();
    const rows = await device.rows("SELECT seq, kind FROM sync_outbox WHERE seq > ?", [before]);
    for (const { seq, kind } of rows) {
      kinds.set(Number(seq), String(kind));
      if ((kind === "insert" || kind === "update") && chance(0.15)) spoiled.add(Number(seq));
    }
    log.push(`capture ${events} after seq ${before}`);
  };

  /** Checks that every event of a sent batch that is still pending and was not put back since is in flight. */
  const checkInFlight = async (where: string) => {
    const events = new Map((await device.client.events({ limit: 10_000 })).map((e) => [e.id, e]));
    for (const [batchId, { seqs, postedAt }] of batches) {
      if (tooLarge.has(batchId)) continue;
      for (const seq of seqs) {
        const event = events.get(seq);
        if (event?.status !== "pending" || (retriedAt.get(seq) ?? -1) > postedAt) continue;
        if (!event.inFlight)
          violations.push(`${where}: event ${seq} of a sent batch is not in flight`);
      }
    }
  };

  async function appActs(where: string): Promise<void> {
    const events = await device.client.events({ limit: 10_000 });
    const rejected = pick(events.filter((e) => e.status === "rejected"));
    if (rejected && chance(0.5)) {
      const ids = await device.client.retryEvent(rejected.id);
      clock += 1;
      for (const id of ids) {
        spoiled.delete(id);
        retriedAt.set(id, clock);
      }
      log.push(`${where}: retry ${rejected.id} -> ${ids}`);
    }
    const target = pick(events.filter((e) => e.kind !== "checkpoint"));
    if (target && chance(0.25)) {
      try {
        const ids = await device.client.removeEvent(target.id);
        for (const id of ids) removed.add(id);
        log.push(`${where}: removed ${ids}`);
      } catch {
        if (!target.inFlight)
          violations.push(`${where}: removeEvent(${target.id}) refused, not in flight`);
        log.push(`${where}: removing ${target.id} refused (in flight)`);
      }
    }
    if (chance(0.3)) await capture(1 + Math.floor(random() * 5));
    await checkInFlight(where);
  }

  const send = async (label: string) => {
    sending = true;
    try {
      const report = await device.client.send();
      log.push(`${label}: ${report.batches} batches`);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      log.push(`${label}: failed ${code}`);
      if (code !== "NETWORK") violations.push(`${label}: send failed with ${code}: ${error}`);
    } finally {
      sending = false;
    }
    await checkInFlight(`after ${label}`);
  };

  try {
    const steps = 6 + Math.floor(random() * 10);
    for (let step = 0; step < steps; step++) {
      const roll = random();
      if (roll < 0.3) await capture(1 + Math.floor(random() * 25));
      else if (roll < 0.7) await send(`send ${step}`);
      else if (roll < 0.85) await appActs(`idle ${step}`);
      else {
        log.push("restart");
        await device.closeClient();
        await device.reopen();
      }
    }
    // Clean rounds: no faults, no app action during a send; what stays rejected is retried a
    // few times, then removed.
    faultChance = 0;
    appActsDuringSend = false;
    spoiled.clear();
    for (let round = 0; ; round++) {
      await send(`final ${round}`);
      const rejected = await device.client.events({ status: "rejected", limit: 10_000 });
      for (const event of rejected) {
        if (round < 6) {
          const ids = await device.client.retryEvent(event.id).catch(() => []);
          clock += 1;
          for (const id of ids) retriedAt.set(id, clock);
        } else if (!removed.has(event.id)) {
          for (const id of await device.client.removeEvent(event.id)) removed.add(id);
        }
      }
      const left = await device.client.events({ status: "pending", limit: 10_000 });
      if (left.length === 0 && rejected.length === 0) break;
      if (round === 9) {
        violations.push(`stuck: ${left.map((e) => `${e.id}:${e.status}`)}`);
        break;
      }
    }
    for (const [seq, kind] of kinds) {
      if (kind === "checkpoint") continue;
      const applied = appliedIn.get(seq)?.size ?? 0;
      if (removed.has(seq) && applied > 0) violations.push(`event ${seq} removed but applied`);
      if (!removed.has(seq) && applied !== 1)
        violations.push(`event ${seq} applied ${applied} times`);
    }
    // Events never put back go in seq order.
    let latest = -1;
    for (const [seq, at] of [...appliedAt].sort((a, b) => a[0] - b[0])) {
      if (retriedAt.has(seq)) continue;
      if (at < latest) violations.push(`event ${seq} went before an earlier event`);
      latest = Math.max(latest, at);
    }
    const leftover = await device.rows("SELECT seq, kind, status FROM sync_outbox");
    if (leftover.length > 0) violations.push(`outbox not empty: ${JSON.stringify(leftover)}`);
    if ((await device.rows("SELECT 1 FROM sync_batch")).length > 0) violations.push("batches left");
    // Rows agree unless the app removed events. An event put back carries its row's values of
    // the time it is put back, so an update that newer ones overtook does not undo them.
    if (removed.size === 0) {
      const local = JSON.stringify(await syncedRows(device.rows));
      const central = JSON.stringify(await syncedRows(server.rows));
      if (local !== central) violations.push("device and server rows differ");
    }
  } finally {
    await device.close();
    await server.close();
  }
  return { violations, log };
}

describe("event accounting under app actions during sends", () => {
  it(`accounts for every event in ${seeds.length} random histories`, async () => {
    const failures: string[] = [];
    for (const seed of seeds) {
      const { violations, log } = await runHistory(seed);
      if (violations.length > 0) {
        failures.push(
          `seed ${seed}: ${violations.slice(0, 5).join("; ")}\n  ${log.slice(-40).join("\n  ")}`,
        );
      }
    }
    expect(failures.slice(0, 2)).toEqual([]);
  }, 180_000);
});
