import { createNodeFetch } from "../client/index.ts";
import { type ServerProcess, startServerProcess } from "./server-process.ts";

// The world of faults/postgres-processes.test.ts: two server processes over one PostgreSQL
// database, each SIGKILLed and replaced; a device fetch that routes to them, loses answers and
// delivers one batch to both at once; and a ledger of every syncBatch exchange.

/**
 * Two sync server processes (0: A, 1: B) over one database. A killed one is replaced by a new
 * process on a new port, started ahead while the others serve (a supervisor's warm standby, one
 * per process): node takes 2–10 s to load the server here, and the kills must not wait for it.
 */
export class ProcessPair {
  /** SIGKILLs so far, by process. */
  readonly kills = [0, 0];
  /** Those that landed while a syncBatch request to that process was in flight. */
  readonly killsInFlight = [0, 0];
  /** syncBatch requests in flight, by process (kept by {@link pairFetch}). */
  readonly inFlight = [0, 0];
  /** What the processes wrote to stderr: an unexpected error, masked in answers, shows here. */
  readonly stderr: string[] = [];
  readonly #servers: Array<ServerProcess | undefined> = [undefined, undefined];
  readonly #endpoints = ["", ""];
  readonly #standbys: Array<Promise<ServerProcess> | undefined> = [undefined, undefined];
  #withStandbys = true;

  private constructor(readonly url: string) {}

  /** Starts A, B and their standbys at once (they race for the migrations and `sync_meta`). */
  static async start(url: string): Promise<ProcessPair> {
    const pair = new ProcessPair(url);
    await Promise.all([pair.#replace(0), pair.#replace(1)]);
    return pair;
  }

  /** The process a request meant for `preferred` goes to: that one if it runs, else the other. */
  route(preferred: number): number {
    return this.#servers[preferred] || !this.#servers[1 - preferred] ? preferred : 1 - preferred;
  }

  /** The endpoint of process `index` (its last one while it is replaced: the request fails). */
  endpointOf(index: number): string {
    return this.#endpoints[index] ?? "";
  }

  /** Whether both processes run (none is being replaced). */
  get bothUp(): boolean {
    return this.#servers.every(Boolean);
  }

  /** Resolves once the standby of process `index` listens: its replacement then takes no time. */
  async standbyReady(index: number): Promise<void> {
    await this.#standbys[index];
  }

  /** SIGKILLs process `index`, waits for its end, and puts its standby in its place. */
  async killAndReplace(index: number): Promise<void> {
    const server = this.#servers[index];
    if (!server) throw new Error(`process ${index} is not running`);
    // Marked down first: requests from now on go to the other process, as a balancer's would.
    this.#servers[index] = undefined;
    const during = (this.inFlight[index] ?? 0) > 0 ? 1 : 0;
    this.killsInFlight[index] = (this.killsInFlight[index] ?? 0) + during;
    await server.kill();
    this.kills[index] = (this.kills[index] ?? 0) + 1;
    await this.#replace(index);
  }

  /** Stops both processes cleanly (SIGTERM) and puts their standbys in place; none from now on. */
  async restartBoth(): Promise<void> {
    this.#withStandbys = false;
    await Promise.all(this.#servers.map((server) => server?.stop()));
    this.#servers.fill(undefined);
    await Promise.all([this.#replace(0), this.#replace(1)]);
  }

  /** Stops every process (SIGTERM), standbys too. */
  async stop(): Promise<void> {
    const standbys = await Promise.all(this.#standbys.map((s) => s?.catch(() => undefined)));
    this.#standbys.fill(undefined);
    await Promise.all([...this.#servers, ...standbys].map((server) => server?.stop()));
  }

  /** Puts the standby of process `index` (or a new process) in its place, and starts a standby. */
  async #replace(index: number): Promise<void> {
    const next = this.#standbys[index] ?? this.#launch();
    this.#standbys[index] = this.#withStandbys ? this.#launch() : undefined;
    const server = await next;
    this.#endpoints[index] = server.endpoint;
    this.#servers[index] = server;
  }

  #launch(): Promise<ServerProcess> {
    const started = startServerProcess(this.url);
    const keep = (chunk: Buffer) => this.stderr.push(chunk.toString());
    started.then((server) => server.child.stderr?.on("data", keep)).catch(() => undefined);
    return started;
  }
}

type Verdict = { eventId: string; status: string; error: { message?: string } | null };
type Answer = { replayed: boolean; results: Verdict[] };
type Operation = { eventId: string; table: string; kind: string };
type Request = { clientId: string; batchId: string; operations: Operation[] };
type EventRecord = { table?: string; kind?: string; batchId?: string; status?: string };

/**
 * Every syncBatch exchange of every device, also the answers a device never got: each batch
 * applied at most once (one answer with `replayed: false`), every answer to one batch the same,
 * each event answered in one batch only. Breaches land in `violations`.
 */
export class BatchLedger {
  readonly violations: string[] = [];
  readonly counts = { posts: 0, lost: 0, switched: 0, both: 0, bothNew: 0 };
  /** Whole-request errors the servers answered, by code. */
  readonly errors: Record<string, number> = {};
  /** The batches posted, as `clientId/batchId`. */
  readonly posted = new Set<string>();
  /** By `clientId/batchId`: the answer's text without `replayed`, and whether one came fresh. */
  readonly #answers = new Map<string, { text: string; fresh: boolean }>();
  /** By `clientId/eventId`: the event's table and kind, and the batch and status of its verdict. */
  readonly events = new Map<string, EventRecord>();

  /** Batches only ever answered as replays: a kill took their first answer after the commit. */
  get committedUnanswered(): number {
    return [...this.#answers.values()].filter((answer) => !answer.fresh).length;
  }

  /** Reads a syncBatch request; `first` says whether its batch is posted for the first time. */
  posting(body: string): { request: Request; first: boolean } {
    const request = (JSON.parse(body) as { variables: { input: Request } }).variables.input;
    const key = `${request.clientId}/${request.batchId}`;
    const first = !this.posted.has(key);
    this.posted.add(key);
    this.counts.posts += 1;
    for (const { eventId, table, kind } of request.operations) {
      const event = `${request.clientId}/${eventId}`;
      this.events.set(event, { ...this.events.get(event), table, kind });
    }
    return { request, first };
  }

  /** Records what a server answered to `request` (any text); returns the batch's answer, if any. */
  answered(request: Request, text: string): Answer | undefined {
    let parsed: {
      data?: { syncBatch?: Answer };
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
      this.errors[code] = (this.errors[code] ?? 0) + 1;
      if (code === "BATCH_ID_REUSED") this.violations.push(`${request.batchId}: BATCH_ID_REUSED`);
      return undefined;
    }
    const key = `${request.clientId}/${request.batchId}`;
    const { replayed, ...rest } = answer;
    const same = JSON.stringify(rest);
    const seen = this.#answers.get(key);
    if (seen && seen.text !== same) this.violations.push(`${key}: answered differently`);
    if (!replayed && seen?.fresh) this.violations.push(`${key}: applied twice (two fresh answers)`);
    this.#answers.set(key, { text: same, fresh: !replayed || (seen?.fresh ?? false) });
    for (const { eventId, status, error } of answer.results) {
      const event = `${request.clientId}/${eventId}`;
      const known = this.events.get(event);
      if (known?.batchId !== undefined && known.batchId !== request.batchId) {
        this.violations.push(`${event}: answered in two batches`);
      }
      if (status !== "APPLIED" && !error?.message) {
        this.violations.push(`${event}: ${status} without a reason`);
      }
      this.events.set(event, { ...known, batchId: request.batchId, status });
    }
    return answer;
  }

  /**
   * Records the answers of one batch delivered to both processes at once (those that arrived):
   * when both did, the same answer, and for a batch never posted before one applied, one replayed.
   */
  deliveredTwice(request: Request, first: boolean, texts: readonly string[]): void {
    const answers = texts.map((text) => this.answered(request, text));
    if (answers.length !== 2 || !answers.every(Boolean)) return;
    this.counts.both += 1;
    if (!first) return;
    this.counts.bothNew += 1;
    const fresh = answers.filter((answer) => answer?.replayed === false).length;
    if (fresh !== 1) this.violations.push(`${request.batchId}: delivered twice, ${fresh} applied`);
  }
}

/**
 * A device's fetch over the pair: every request goes to the device's own process (`home`), or
 * to the other while that one is replaced. While `faultsOn()`, each syncBatch request goes to
 * the other process with the chance `faults.switchTo`, to both at once with `faults.duplicate`,
 * or has its answer lost after the server answered with `faults.lose`. The ledger sees it all.
 */
export function pairFetch(
  pair: ProcessPair,
  home: number,
  ledger: BatchLedger,
  random: () => number,
  faults: { readonly switchTo: number; readonly lose: number; readonly duplicate: number },
  faultsOn: () => boolean,
): { fetch: typeof fetch; close(): void } {
  const own = createNodeFetch();
  const post = async (index: number, init: RequestInit | undefined, batch: boolean) => {
    if (batch) pair.inFlight[index] = (pair.inFlight[index] ?? 0) + 1;
    try {
      const response = await own(pair.endpointOf(index), init);
      // The body is read whole, so only the headers the client reads travel on.
      const headers = new Headers({ "content-type": "application/json" });
      const committed = response.headers.get("x-sync-committed");
      if (committed !== null) headers.set("x-sync-committed", committed);
      return { status: response.status, headers, text: await response.text() };
    } finally {
      if (batch) pair.inFlight[index] = (pair.inFlight[index] ?? 0) - 1;
    }
  };
  const wrapped: typeof fetch = async (_input, init) => {
    const body = init?.body;
    const text = body instanceof Uint8Array ? new TextDecoder().decode(body) : String(body);
    const faulty = faultsOn();
    const switched = faulty && random() < faults.switchTo;
    const index = pair.route(switched ? 1 - home : home);
    if (!text.includes("syncBatch")) {
      const reply = await post(index, init, false);
      return new Response(reply.text, reply);
    }
    const { request, first } = ledger.posting(text);
    if (switched) ledger.counts.switched += 1;
    const roll = faulty ? random() : 1;
    if (roll < faults.duplicate && pair.bothUp) {
      const both = await Promise.allSettled([post(0, init, true), post(1, init, true)]);
      const replies = both.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
      const texts = replies.map((reply) => reply.text);
      ledger.deliveredTwice(request, first, texts);
      // The device gets either answer (or a failure when both processes died under it).
      const chosen = replies[Math.floor(random() * replies.length)];
      if (!chosen) throw new TypeError("fetch failed: both copies failed (injected)");
      return new Response(chosen.text, chosen);
    }
    const result = await post(index, init, true);
    ledger.answered(request, result.text);
    if (roll < faults.duplicate + faults.lose) {
      ledger.counts.lost += 1;
      throw new TypeError("fetch failed: connection reset (injected)");
    }
    return new Response(result.text, result);
  };
  return { fetch: wrapped, close: () => own.close() };
}
