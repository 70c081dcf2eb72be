// The send loop of the spec: batches in outbox order, each posted as one `syncBatch` and its answer
// applied locally in one transaction. At most two batches are open: A, the one being answered,
// and B, the next, formed while the server works on A and posted once A committed.
//
//                  start: form A, post A, form B
//                                │
//                                v
//      ┌──────────────────► ANSWERING A ◄──────────┐   B is posted as soon as the server's
//      │                 │       │       │         │   commit header names A
//      │      A answered │       │       └─ retry ─┘   A failed on the way (network, server):
//      │                 v       │                     again, same batch id, after a backoff
//      │             ADVANCE     │ A refused as too large
//      │  post B unless posted;  v
//      │  apply A, form C;     CUT SMALLER
//      │  A := B, B := C       B dissolved; A dissolved and cut smaller (or its one event
//      │         │             rejected); form A, post A, form B
//      └─────────┴─────────────┘
//
// No A: DONE, the report is returned. Any other failure, an abort, or onProgress throwing: STOP,
// B is cancelled and a SendError carries the report. Unanswered batches keep their batch ids, so
// the next send() replays them, in the order they were formed.
//
// This file runs a little over the usual 250 lines because of the diagram: it stays beside the
// loop it draws, and the transitions it names are this file's methods.

import type { SyncModel } from "../schema/index.ts";
import { applyAnswer } from "./apply-answer.ts";
import { type Flight, postBatch } from "./batch-flight.ts";
import { checkAnswer } from "./check-answer.ts";
import { isTooLarge } from "./classify-failure.ts";
import type { ServerLimits, SyncBatchAnswer, Transport } from "./create-transport.ts";
import type { DeviceDatabase } from "./device-database.ts";
import type { BatchLimits } from "./fit-body.ts";
import { type Batch, lastEventSeq, nextBatch, outboxTotals } from "./next-batch.ts";
import { dissolveBatch, rejectBatch } from "./refused-batch.ts";
import { failureOf } from "./send-failure.ts";
import {
  countAnswer,
  emptyReport,
  ProgressTeller,
  type SendOptions,
  type SendReport,
} from "./send-report.ts";
import { SendError, SyncClientError } from "./sync-client-error.ts";

export type { SendOptions, SendProgress, SendReport } from "./send-report.ts";

/** What the send loop works with. */
export interface SendContext {
  readonly database: DeviceDatabase;
  readonly model: SyncModel;
  readonly clientId: string;
  readonly transport: Transport;
  readonly maxOperationsPerRequest: number;
}

/** The open batches: A, being answered, and B, formed after it and posted once A committed. */
interface Slots {
  readonly answering: Flight;
  next?: Batch | undefined;
  /** B once posted: only once the server said A committed (its header or its answer). */
  nextFlight?: Flight | undefined;
}

const nothing = (): undefined => undefined;

/** How A's request settled. */
type Settled =
  | { readonly ok: true; readonly answer: SyncBatchAnswer }
  | { readonly ok: false; readonly error: unknown };

/**
 * Sends the outbox up to the last event recorded when it begins (later events wait for the next
 * call) and returns what it did. It throws a {@link SendError}, carrying that report, when a
 * failure retries cannot fix stops it: everything unsent stays pending and an unanswered batch
 * keeps its batch id, so the next call replays it.
 */
export function send(context: SendContext, options: SendOptions = {}): Promise<SendReport> {
  return new SendLoop(context, options).run();
}

class SendLoop {
  readonly #context: SendContext;
  readonly #options: SendOptions;
  readonly #report = emptyReport();
  readonly #progress: ProgressTeller;
  /** Aborted when the loop stops, so that a batch posted ahead does not linger. */
  readonly #stop = new AbortController();
  /** Cancels requests: the app's signal, or the loop's stop. */
  readonly #signal: AbortSignal;
  #slots: Slots | undefined;
  #limitSeq = 0;
  #maxOperations: number;
  /** The server's body limit: unknown (the query failed) until a 413 makes the loop ask again. */
  #body: BatchLimits["body"];

  constructor(context: SendContext, options: SendOptions) {
    this.#context = context;
    this.#options = options;
    this.#progress = new ProgressTeller(options.onProgress);
    this.#maxOperations = context.maxOperationsPerRequest;
    const { signal } = options;
    this.#signal = signal ? AbortSignal.any([signal, this.#stop.signal]) : this.#stop.signal;
  }

  async run(): Promise<SendReport> {
    const bytesAtStart = this.#context.transport.bytesSent;
    try {
      await this.#prepare();
      await this.#start();
      while (this.#slots) {
        const slots = this.#slots;
        const settled = await this.#settle(slots);
        if (settled.ok) await this.#advance(slots, settled.answer);
        else await this.#cutSmaller(slots, settled.error);
      }
    } catch (error) {
      throw await this.#stopWith(error, bytesAtStart);
    }
    this.#report.bytesSent = this.#context.transport.bytesSent - bytesAtStart;
    return { ...this.#report };
  }

  /**
   * Transition STOP: the batches posted are cancelled and settled before send() returns (their
   * batch ids stay, so the next send() replays one the server got); the failure with the report.
   */
  async #stopWith(error: unknown, bytesAtStart: number): Promise<SendError> {
    this.#stop.abort(new SyncClientError("ABORTED", "send() stopped"));
    await this.#slots?.answering.answer.catch(nothing);
    await this.#slots?.nextFlight?.answer.catch(nothing);
    this.#report.bytesSent = this.#context.transport.bytesSent - bytesAtStart;
    return new SendError(failureOf(error, this.#options.signal), this.#report);
  }

  /** The last event to send, the totals for an app that follows progress, the body limit. */
  async #prepare(): Promise<void> {
    const { database, transport } = this.#context;
    this.#limitSeq = await lastEventSeq(database);
    if (this.#progress.listening) await this.#recount();
    if (this.#limitSeq > 0) {
      this.#takeLimits(await transport.limits(false, this.#options.signal).catch(nothing));
    }
  }

  /** Counts what is left to send, for the progress. */
  async #recount(): Promise<void> {
    const left = await outboxTotals(this.#context.database, this.#limitSeq, this.#maxOperations);
    this.#progress.recount(left, this.#report.batches);
  }

  #takeLimits(server: ServerLimits | undefined): void {
    if (!server) return;
    const envelopeBytes = this.#context.transport.envelopeBytes(this.#context.clientId);
    this.#body = { maxBytes: server.maxBodyBytes, envelopeBytes };
  }

  /** How much a batch may hold now. An event too large alone is rejected on the device. */
  #limits(): BatchLimits {
    return {
      maxOperations: this.#maxOperations,
      body: this.#body,
      onTooLarge: () => {
        this.#report.rejected += 1;
        this.#progress.settled(1);
      },
    };
  }

  /** Forms the first open batch (`after` undefined) or the one after `after`. */
  #form(after?: Batch): Promise<Batch | undefined> {
    const { database, model } = this.#context;
    return database.transaction((tx) =>
      nextBatch(tx, model, this.#limitSeq, this.#limits(), after?.batchId),
    );
  }

  /** Transition START: form A and post it, then form B while the server works on A. */
  async #start(): Promise<void> {
    const batch = await this.#form();
    this.#slots = batch && { answering: await this.#post(batch) };
    if (this.#slots) this.#slots.next = await this.#form(batch);
  }

  #post(batch: Batch): Promise<Flight> {
    const { transport, clientId } = this.#context;
    const onRetry = () => {
      this.#report.retries += 1;
    };
    return postBatch(batch, { transport, clientId, signal: this.#signal, onRetry });
  }

  async #postNext(slots: Slots): Promise<void> {
    if (slots.next && !slots.nextFlight) slots.nextFlight = await this.#post(slots.next);
  }

  /** Waits for A's answer; B goes out as soon as the server signals A's commit. */
  async #settle(slots: Slots): Promise<Settled> {
    const aborted = () => this.#options.signal?.aborted === true;
    if (slots.next && (await slots.answering.committed) && !aborted()) await this.#postNext(slots);
    try {
      return { ok: true, answer: await slots.answering.answer };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** Transition ADVANCE: post B unless posted, apply A's answer and form C; A := B, B := C. */
  async #advance(slots: Slots, answer: SyncBatchAnswer): Promise<void> {
    const { database, model } = this.#context;
    const { batch } = slots.answering;
    const checked = checkAnswer(model, batch, answer);
    const { signal } = this.#options;
    if (signal?.aborted) {
      await database.transaction((tx) => applyAnswer(tx, model, batch, checked));
      countAnswer(this.#report, checked, answer.replayed);
      throw new SyncClientError("ABORTED", "send() was aborted", { cause: signal.reason });
    }
    await this.#postNext(slots);
    const { next } = slots;
    const formed = await database.transaction(async (tx) => {
      await applyAnswer(tx, model, batch, checked);
      return next && nextBatch(tx, model, this.#limitSeq, this.#limits(), next.batchId);
    });
    countAnswer(this.#report, checked, answer.replayed);
    this.#slots = slots.nextFlight && { answering: slots.nextFlight, next: formed };
    this.#progress.batchDone(batch.seqs.length, this.#report.batches);
  }

  /**
   * Transition CUT SMALLER, for a batch refused whole as too large (so nothing of it applied); any
   * other failure is rethrown, to STOP. B was formed after A and not posted (a refusal is never
   * signalled as a commit): it is dissolved too and formed again after the cut, in outbox order.
   */
  async #cutSmaller(slots: Slots, error: unknown): Promise<void> {
    if (!isTooLarge(error) || slots.nextFlight) throw error;
    const { batch, retried } = slots.answering;
    const { serverCode = "BODY_TOO_LARGE", message } = error as SyncClientError;
    // BATCH_TOO_LARGE comes only for a batch id the server never applied. A bare HTTP 413 could
    // follow an earlier attempt that another server accepted: then the batch must stay as it is.
    if (serverCode === "BODY_TOO_LARGE" && (!batch.fresh || retried)) throw error;
    const { database, transport } = this.#context;
    if (slots.next) await dissolveBatch(database, slots.next);
    if (batch.seqs.length === 1) {
      await rejectBatch(database, batch, serverCode, message);
      this.#report.rejected += 1;
      this.#progress.settled(1);
    } else {
      // Cut to the server's limits as it tells them now, and at least in half.
      const server = await transport.limits(true, this.#options.signal).catch(nothing);
      this.#takeLimits(server);
      const serverMax = server?.maxOperations ?? this.#maxOperations;
      this.#maxOperations = Math.max(1, Math.min(serverMax, Math.floor(batch.seqs.length / 2)));
      await dissolveBatch(database, batch);
      // Smaller batches: what is left counts again, so progress does not run past its total.
      if (this.#progress.listening) await this.#recount();
    }
    await this.#start();
  }
}
