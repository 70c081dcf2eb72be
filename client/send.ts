import type { Client } from "@libsql/client";
import type { SyncModel } from "../schema/index.ts";
import type { Writer, WriteTransaction } from "../writer/index.ts";
import { applyAnswer } from "./apply-answer.ts";
import { checkAnswer } from "./check-answer.ts";
import { isTooLarge } from "./classify-failure.ts";
import type { ServerLimits, SyncBatchAnswer, Transport } from "./create-transport.ts";
import type { BatchLimits } from "./fit-body.ts";
import { type Batch, nextBatch, outboxTotals } from "./next-batch.ts";
import { dissolveBatch, rejectBatch } from "./refused-batch.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** Progress after each batch: batches and operations done, and the totals when the send began. */
export interface SendProgress {
  readonly batchesDone: number;
  readonly batchesTotal: number;
  readonly operationsDone: number;
  readonly operationsTotal: number;
}

/** Options of `send()`. */
export interface SendOptions {
  readonly onProgress?: (progress: SendProgress) => void;
  /** Stops the loop between batches and cancels backoff waits; what is unsent stays pending. */
  readonly signal?: AbortSignal;
}

/** What a `send()` did. */
export interface SendReport {
  /** Requests answered (batches of segments). */
  batches: number;
  applied: number;
  rejected: number;
  mappingsApplied: number;
  /** Requests sent again after a network or server failure. */
  retries: number;
  /** Answers the server replayed (the batch had been applied before its answer was lost). */
  replayed: number;
  /** Bytes of request bodies, retries included. */
  bytesSent: number;
}

/** What the send loop works with. */
export interface SendContext {
  readonly client: Client;
  readonly writes: Writer;
  readonly model: SyncModel;
  readonly clientId: string;
  readonly transport: Transport;
  readonly maxOperationsPerRequest: number;
}

/**
 * Lets the event loop run once. SQLite work is synchronous and blocks it; a request posted just
 * before must first reach its socket, or the server waits for it while the device works.
 */
const requestLeaves = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A posted batch: its answer, and whether the server told that it committed before the answer was read. */
interface InFlight {
  readonly answer: Promise<SyncBatchAnswer>;
  /** True once the server's answer shows the commit; false when the answer settled without that. */
  readonly committed: Promise<boolean>;
}

const noLimits = (): undefined => undefined;

/** The body limit of batches under the server's limits; none while they are unknown. */
function bodyLimit(
  transport: Transport,
  clientId: string,
  server: ServerLimits | undefined,
): BatchLimits["body"] {
  return (
    server && { maxBytes: server.maxBodyBytes, envelopeBytes: transport.envelopeBytes(clientId) }
  );
}

/** A {@link SyncClientError} that also carries what the send did before it stopped. */
export type SendError = SyncClientError & { readonly report: SendReport };

/**
 * The send loop of the spec: batches in outbox order, each posted as one `syncBatch` and its answer
 * applied locally in one transaction. Requests go one at a time, but the next batch is formed while
 * the server works on the current one, and posted as soon as the answer shows that the server
 * committed it (before the answer is parsed and applied). Events recorded after the send began wait for the next call. On a failure that
 * retries cannot fix it stops and throws; everything unsent stays pending and an unanswered batch
 * keeps its batch id, so the next call replays it.
 */
export async function send(context: SendContext, options: SendOptions = {}): Promise<SendReport> {
  const { client, writes, model, clientId, transport } = context;
  let maxOperations = context.maxOperationsPerRequest;
  const bytesAtStart = transport.bytesSent;
  const report: SendReport = {
    batches: 0,
    applied: 0,
    rejected: 0,
    mappingsApplied: 0,
    retries: 0,
    replayed: 0,
    bytesSent: 0,
  };
  const { rows } = await client.execute("SELECT coalesce(max(seq), 0) AS last FROM sync_outbox");
  const limitSeq = Number(rows[0]?.last ?? 0);

  // A scan of the whole outbox, done only for someone who follows the progress.
  let totals = options.onProgress
    ? await outboxTotals(client, limitSeq, maxOperations)
    : { operations: 0, batches: 0 };
  let operationsDone = 0;
  // The server's body limit, read once per client: a batch is cut to fit it, and an event too
  // large alone is rejected on the device, unsent. Unknown (the query failed), a 413 still cuts.
  let body =
    limitSeq > 0
      ? bodyLimit(
          transport,
          clientId,
          await transport.limits(false, options.signal).catch(noLimits),
        )
      : undefined;
  const limits = (): BatchLimits => ({
    maxOperations,
    body,
    onTooLarge: () => {
      report.rejected += 1;
      operationsDone += 1;
    },
  });

  // Aborted when the loop stops with an error, so a request posted ahead does not linger.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const retried = new Set<string>();
  let answer: InFlight | undefined;
  /** The batch after `answer`'s, posted once the server committed that one. */
  let ahead: InFlight | undefined;
  const post = (batch: Batch): InFlight => {
    let committed!: (value: boolean) => void;
    const flight: InFlight = {
      answer: transport.send(clientId, batch, {
        signal,
        onRetry: () => {
          report.retries += 1;
          retried.add(batch.batchId);
        },
        onCommitted: () => committed(true),
      }),
      committed: new Promise((resolve) => {
        committed = resolve;
      }),
    };
    // Awaited later; until then a failure must not count as unhandled.
    flight.answer.then(
      () => committed(false),
      () => committed(false),
    );
    return flight;
  };

  try {
    // Two batches at most are open: the one in flight and the next, formed while the server works.
    const formAfter = async (tx: WriteTransaction, current: Batch | undefined) =>
      current ? nextBatch(tx, model, limitSeq, limits(), current.batchId) : undefined;
    let batch = await writes.run((tx) => nextBatch(tx, model, limitSeq, limits()));
    answer = batch && post(batch);
    await requestLeaves();
    let next = await writes.run((tx) => formAfter(tx, batch));
    while (batch && answer) {
      // The next batch goes out as soon as the server has committed this one, while this answer
      // is still being read: the server knows this batch's mappings, so requests stay in order.
      if (next && (await answer.committed) && !options.signal?.aborted) {
        ahead = post(next);
        await requestLeaves();
      }
      let result: SyncBatchAnswer;
      try {
        result = await answer.answer;
      } catch (error) {
        // A refusal is never told as a commit, so no batch went out ahead of this one.
        if (!isTooLarge(error) || ahead) throw error;
        // BATCH_TOO_LARGE comes only for a batch id the server never applied. A bare HTTP 413 could
        // follow an earlier attempt that another server accepted: then the batch must stay as it is.
        const bodyRefused = (error as SyncClientError).serverCode === "BODY_TOO_LARGE";
        if (bodyRefused && (!batch.fresh || retried.has(batch.batchId))) throw error;
        // The next batch was formed after this one, which was refused whole, so it was never posted
        // (open batches go in the order they were formed): it is formed again after the cut, to
        // keep outbox order.
        if (next) await dissolveBatch(writes, next);
        if (batch.seqs.length === 1) {
          const { serverCode = "BODY_TOO_LARGE", message } = error as SyncClientError;
          await rejectBatch(writes, batch, serverCode, message);
          report.rejected += 1;
        } else {
          // Refused whole, so nothing of it was applied: cut it smaller under a new batch id, to
          // the server's limits as it tells them now.
          const server = await transport.limits(true, options.signal).catch(noLimits);
          body = server ? bodyLimit(transport, clientId, server) : body;
          const serverMax = server?.maxOperations ?? maxOperations;
          maxOperations = Math.max(1, Math.min(serverMax, Math.floor(batch.seqs.length / 2)));
          await dissolveBatch(writes, batch);
          // Smaller batches: what is left counts again, so progress does not run past its total.
          if (options.onProgress) {
            const left = await outboxTotals(client, limitSeq, maxOperations);
            totals = {
              operations: operationsDone + left.operations,
              batches: report.batches + left.batches,
            };
          }
        }
        batch = await writes.run((tx) => nextBatch(tx, model, limitSeq, limits()));
        answer = batch && post(batch);
        await requestLeaves();
        next = await writes.run((tx) => formAfter(tx, batch));
        continue;
      }
      const checked = checkAnswer(model, batch, result);
      if (options.signal?.aborted) {
        const answered = batch;
        await writes.run((tx) => applyAnswer(tx, model, answered, checked));
        throw new SyncClientError("ABORTED", "send() was aborted", {
          cause: options.signal.reason,
        });
      }
      // Posted here if the commit could not be told early: still before this answer is applied.
      if (next && !ahead) {
        ahead = post(next);
        await requestLeaves();
      }
      answer = ahead;
      ahead = undefined;
      // One local transaction applies this answer and forms the batch after the one now in flight.
      const answered = batch;
      const following = next;
      const formed = await writes.run(async (tx) => {
        await applyAnswer(tx, model, answered, checked);
        return formAfter(tx, following);
      });
      report.batches += 1;
      report.applied += checked.applied.length;
      report.rejected += checked.rejected.length;
      report.mappingsApplied += checked.mappingCount;
      if (result.replayed) report.replayed += 1;
      operationsDone += batch.seqs.length;
      try {
        options.onProgress?.({
          batchesDone: report.batches,
          batchesTotal: Math.max(totals.batches, report.batches),
          operationsDone,
          operationsTotal: Math.max(totals.operations, operationsDone),
        });
      } catch (error) {
        // This batch's answer is applied; the app's callback stops the send as an abort would.
        throw new SyncClientError(
          "ABORTED",
          `send() stopped: the onProgress callback threw: ${(error as Error)?.message ?? String(error)}`,
          { cause: error },
        );
      }
      batch = next;
      next = formed;
    }
  } catch (error) {
    // A batch posted ahead is cancelled and settled before send() returns; its batch id stays, so
    // the next send() replays it if the server got it.
    stop.abort(new SyncClientError("ABORTED", "send() stopped"));
    await answer?.answer.catch(() => undefined);
    await ahead?.answer.catch(() => undefined);
    report.bytesSent = transport.bytesSent - bytesAtStart;
    // Aborted while a request was under way, the transport sees a cancelled request: the abort
    // is what happened (a close() gives its own reason).
    const reason: unknown = options.signal?.aborted ? options.signal.reason : undefined;
    const failure =
      error instanceof SyncClientError && (error.code === "ABORTED" || !options.signal?.aborted)
        ? error
        : options.signal?.aborted
          ? reason instanceof SyncClientError && reason.code === "ABORTED"
            ? new SyncClientError("ABORTED", reason.message, { cause: error })
            : new SyncClientError("ABORTED", "send() was aborted", { cause: reason ?? error })
          : new SyncClientError("LOCAL_DATABASE", `send() stopped: ${(error as Error).message}`, {
              cause: error,
            });
    throw Object.assign(failure, { report });
  }
  report.bytesSent = transport.bytesSent - bytesAtStart;
  return report;
}
