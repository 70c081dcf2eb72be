import { createNodeFetch } from "../client/index.ts";
import { type ServerProcess, startServerProcess } from "./server-process.ts";

// The world of faults/postgres-processes.test.ts: two server processes over one PostgreSQL
// database, each SIGKILLed and restarted on a new port; a device fetch that routes to them, loses
// answers and delivers one batch to both at once; and a ledger of every syncBatch exchange.

/** Two sync server processes (0: A, 1: B) over one database; a killed one restarts on a new port. */
export class ProcessPair {
  /** SIGKILLs so far, by process. */
  readonly kills = [0, 0];
  /** Those that landed while a syncBatch request to that process was in flight. */
  readonly killsInFlight = [0, 0];
  /** syncBatch requests in flight, by process (kept by {@link pairFetch}). */
  readonly inFlight = [0, 0];
  /** stderr lines of every process: a masked unexpected error still shows here. */
  readonly stderr: string[] = [];
  readonly #servers: Array<ServerProcess | undefined>;
  readonly #endpoints: string[];

  private constructor(
    readonly url: string,
    servers: ServerProcess[],
  ) {
    this.#servers = servers;
    this.#endpoints = servers.map((server) => server.endpoint);
    for (const server of servers) this.#watch(server);
  }

  /** Starts both processes at once (so they also race for the migrations and `sync_meta`). */
  static async start(url: string): Promise<ProcessPair> {
    return new ProcessPair(
      url,
      await Promise.all([startServerProcess(url), startServerProcess(url)]),
    );
  }

  /** The process a request meant for `preferred` goes to: that one if it runs, else the other. */
  route(preferred: number): number {
    return this.#servers[preferred] || !this.#servers[1 - preferred] ? preferred : 1 - preferred;
  }

  /** The endpoint of process `index` (its last one while it restarts: the request then fails). */
  endpointOf(index: number): string {
    return this.#endpoints[index] ?? "";
  }

  /** Whether both processes run (none is restarting). */
  get bothUp(): boolean {
    return this.#servers.every(Boolean);
  }

  /** SIGKILLs process `index`, waits for its end, and starts it again on a new port. */
  async killAndRestart(index: number): Promise<void> {
    const server = this.#servers[index];
    if (!server) throw new Error(`process ${index} is not running`);
    // Marked down first: requests from now on go to the other process, as a balancer's would.
    this.#servers[index] = undefined;
    if ((this.inFlight[index] ?? 0) > 0)
      this.killsInFlight[index] = (this.killsInFlight[index] ?? 0) + 1;
    await server.kill();
    this.kills[index] = (this.kills[index] ?? 0) + 1;
    await this.restart(index);
  }

  /** Stops process `index` cleanly (if it runs) and starts it again. */
  async restart(index: number): Promise<void> {
    await this.#servers[index]?.stop();
    this.#servers[index] = undefined;
    const server = await startServerProcess(this.url);
    this.#watch(server);
    this.#endpoints[index] = server.endpoint;
    this.#servers[index] = server;
  }

  /** Stops both (SIGTERM). */
  async stop(): Promise<void> {
    await Promise.all(this.#servers.map((server) => server?.stop()));
  }

  #watch(server: ServerProcess): void {
    server.child.stderr?.on("data", (chunk: Buffer) => {
      if (this.stderr.length < 200)
        this.stderr.push(...chunk.toString().split("\n").filter(Boolean));
    });
  }
}

/** One verdict of the server on one event, as an answer said it. */
interface Verdict {
  readonly batchId: string;
  readonly status: string;
  readonly reason: string;
}
interface Answer {
  readonly batchId: string;
  readonly replayed: boolean;
  readonly results: ReadonlyArray<{
    eventId: string;
    status: string;
    error: { code: string; message: string } | null;
  }>;
}
interface Request {
  readonly clientId: string;
  readonly batchId: string;
  readonly operations: ReadonlyArray<{ eventId: string; table: string; kind: string }>;
}

/**
 * Every syncBatch exchange of every device, also the answers a device never got: each batch
 * applied at most once (one answer with `replayed: false`), every answer to one batch the same,
 * each event answered in one batch only. Breaches land in `violations`.
 */
export class BatchLedger {
  readonly violations: string[] = [];
  readonly counts = {
    posts: 0,
    lostAnswers: 0,
    duplicates: 0,
    switched: 0,
    errors: {} as Record<string, number>,
  };
  /** By `clientId/batchId`: the answer's text without `replayed`, and whether it came fresh. */
  readonly #answers = new Map<string, { text: string; fresh: boolean }>();
  readonly #operations = new Map<string, { table: string; kind: string }>();
  readonly #verdicts = new Map<string, Verdict>();

  /** Distinct batch ids posted. */
  get batches(): number {
    return new Set([...this.#answers.keys(), ...this.#posted]).size;
  }
  readonly #posted = new Set<string>();

  /** Reads a syncBatch request; says whether its batch id is posted for the first time. */
  posting(body: string): { request: Request; first: boolean } {
    const request = (JSON.parse(body) as { variables: { input: Request } }).variables.input;
    const key = `${request.clientId}/${request.batchId}`;
    const first = !this.#posted.has(key);
    this.#posted.add(key);
    this.counts.posts += 1;
    for (const { eventId, table, kind } of request.operations) {
      this.#operations.set(`${request.clientId}/${eventId}`, { table, kind });
    }
    return { request, first };
  }

  /** Records what the server answered (`text`, HTTP 200 or not); returns the answer, if any. */
  answered(request: Request, text: string): Answer | undefined {
    let parsed: {
      data?: { syncBatch?: Answer | null };
      errors?: Array<{ extensions?: { code?: string } }>;
    };
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { errors: [{ extensions: { code: "NOT_JSON" } }] };
    }
    const answer = parsed.data?.syncBatch;
    if (!answer) {
      const code = parsed.errors?.[0]?.extensions?.code ?? "NONE";
      this.counts.errors[code] = (this.counts.errors[code] ?? 0) + 1;
      if (code === "BATCH_ID_REUSED") this.violations.push(`${request.batchId}: BATCH_ID_REUSED`);
      return undefined;
    }
    const key = `${request.clientId}/${request.batchId}`;
    const { replayed, ...rest } = answer;
    const seen = this.#answers.get(key);
    const same = JSON.stringify(rest);
    if (seen && seen.text !== same) this.violations.push(`${key}: answered differently`);
    if (!replayed && seen?.fresh) this.violations.push(`${key}: applied twice (two fresh answers)`);
    this.#answers.set(key, { text: same, fresh: !replayed || (seen?.fresh ?? false) });
    for (const { eventId, status, error } of answer.results) {
      const event = `${request.clientId}/${eventId}`;
      const before = this.#verdicts.get(event);
      if (before && before.batchId !== request.batchId)
        this.violations.push(`${event}: answered in two batches`);
      const reason = error ? `${error.code}: ${error.message}` : "";
      if (status === "REJECTED" && !error?.message)
        this.violations.push(`${event}: rejected without a reason`);
      this.#verdicts.set(event, { batchId: request.batchId, status, reason });
    }
    return answer;
  }

  /**
   * What the server must hold after every event was answered: rows per table (applied inserts
   * less applied deletes), and the verdicts of each client (event counts by status).
   */
  accounts(): { rows: Record<string, number>; byClient: Record<string, Record<string, number>> } {
    const rows: Record<string, number> = {};
    const byClient: Record<string, Record<string, number>> = {};
    for (const [event, { table, kind }] of this.#operations) {
      const clientId = event.slice(0, event.lastIndexOf("/"));
      const status = this.#verdicts.get(event)?.status ?? "UNANSWERED";
      const counts = byClient[clientId] ?? {};
      byClient[clientId] = counts;
      counts[status] = (counts[status] ?? 0) + 1;
      const step = status !== "APPLIED" ? 0 : kind === "INSERT" ? 1 : kind === "DELETE" ? -1 : 0;
      rows[table] = (rows[table] ?? 0) + step;
    }
    return { rows, byClient };
  }
}

/** Chances per syncBatch request while faults are on. */
export interface PairFaults {
  /** Sent to the other process than the device's own. */
  readonly switchTo: number;
  /** Applied by the server, the answer lost on the way back. */
  readonly lose: number;
  /** Delivered to both processes at once. */
  readonly duplicate: number;
}

const decoder = new TextDecoder();
const bodyText = (init: RequestInit | undefined): string =>
  typeof init?.body === "string"
    ? init.body
    : init?.body instanceof Uint8Array
      ? decoder.decode(init.body)
      : "";

/**
 * A device's fetch over the pair: every request goes to the device's own process (`home`), or
 * the other one while that one restarts. While `faultsOn()`, syncBatch requests meet the faults
 * of `faults` at random; every exchange is shown to `ledger`.
 */
export function pairFetch(
  pair: ProcessPair,
  home: number,
  ledger: BatchLedger,
  random: () => number,
  faults: PairFaults,
  faultsOn: () => boolean,
): { fetch: typeof fetch; close(): void } {
  const own = createNodeFetch();
  type Reply = { status: number; text: string; committed: string | null };
  const post = async (
    index: number,
    init: RequestInit | undefined,
    batch: boolean,
  ): Promise<Reply> => {
    if (batch) pair.inFlight[index] = (pair.inFlight[index] ?? 0) + 1;
    const t0 = Date.now();
    let outcome = "error";
    try {
      const response = await own(pair.endpointOf(index), init);
      const committed = response.headers.get("x-sync-committed");
      outcome = String(response.status);
      return { status: response.status, text: await response.text(), committed };
    } catch (error) {
      outcome = String(error);
      throw error;
    } finally {
      if (Date.now() - t0 > 2000)
        console.log(
          `DBG slow ${batch ? "batch" : "other"} to ${index} ${Date.now() - t0} ms ${outcome}`,
        );
      if (batch) pair.inFlight[index] = (pair.inFlight[index] ?? 0) - 1;
    }
  };
  // The body is text again: only the headers the client reads travel on.
  const reply = ({ status, text, committed }: Reply) =>
    new Response(text, {
      status,
      headers: {
        "content-type": "application/json",
        ...(committed === null ? {} : { "x-sync-committed": committed }),
      },
    });
  const wrapped: typeof fetch = async (_input, init) => {
    const text = bodyText(init);
    const faulty = faultsOn();
    const switched = faulty && random() < faults.switchTo;
    const index = pair.route(switched ? 1 - home : home);
    if (!text.includes("syncBatch")) return reply(await post(index, init, false));
    const { request, first } = ledger.posting(text);
    if (switched) ledger.counts.switched += 1;
    const roll = faulty ? random() : 1;
    if (roll < faults.duplicate && pair.bothUp) {
      const both = await Promise.allSettled([post(0, init, true), post(1, init, true)]);
      const replies = both.flatMap((outcome) =>
        outcome.status === "fulfilled" ? [outcome.value] : [],
      );
      const answers = replies.map((r) => ledger.answered(request, r.text));
      if (answers.length === 2 && answers.every(Boolean)) {
        ledger.counts.duplicates += 1;
        const fresh = answers.filter((answer) => answer?.replayed === false).length;
        if (first && fresh !== 1)
          ledger.violations.push(
            `${request.batchId}: ${fresh} fresh answers to a new batch delivered twice`,
          );
      }
      const chosen = replies[Math.floor(random() * replies.length)];
      if (!chosen) throw new TypeError("fetch failed: both processes failed (killed)");
      return reply(chosen);
    }
    const result = await post(index, init, true);
    ledger.answered(request, result.text);
    if (roll < faults.duplicate + faults.lose) {
      ledger.counts.lostAnswers += 1;
      throw new TypeError("fetch failed: connection reset (injected)");
    }
    return reply(result);
  };
  return { fetch: wrapped, close: () => own.close() };
}
