import { Client, createRequest, fetchExchange, stringifyVariables } from "@urql/core";
import { makeFetchBody } from "@urql/core/internal";
import pRetry, { type Options as PRetryOptions } from "p-retry";
import { type CallMeter, createCallFetch } from "./call-fetch.ts";
import { classify } from "./classify-failure.ts";
import { createNodeFetch, type NodeFetch } from "./create-node-fetch.ts";
import type {
  SyncBatchMutation,
  SyncBatchMutationVariables,
  SyncOperationInput,
} from "./generated/graphql.ts";
import type { Batch } from "./next-batch.ts";
import { createRawJson, type RawJson } from "./raw-json.ts";
import type { ResolvedOptions } from "./resolve-options.ts";
import { pause, retryAfterOf, tooLongToWait } from "./retry-after.ts";
import { readLimits, type ServerLimits } from "./server-limits-query.ts";
import { SyncBatchMutation as SyncBatchDocument } from "./sync-batch-mutation.ts";
import {
  attemptChanges,
  type ChangesRequest,
  type SyncChangesAnswer,
} from "./sync-changes-query.ts";
import { SyncClientError } from "./sync-client-error.ts";

export type { ServerLimits } from "./server-limits-query.ts";
export type { ChangesRequest, SyncChangesAnswer } from "./sync-changes-query.ts";

/** The server's answer to one batch. */
export type SyncBatchAnswer = SyncBatchMutation["syncBatch"];

/** What the transport sends of a batch. */
export type BatchRequest = Pick<Batch, "batchId" | "batchSeq" | "operationsJson">;

/** The client options the transport uses (without `getToken`, requests carry no token). */
export type TransportOptions = Pick<
  ResolvedOptions,
  "endpoint" | "headers" | "fetch" | "requestTimeoutMs" | "maxAnswerBytes" | "retry"
> &
  Partial<Pick<ResolvedOptions, "getToken">>;

/**
 * Posts batches as `syncBatch` mutations through urql, retrying with backoff. Every request's
 * signal and hooks travel in its own urql `OperationContext` (`fetch`), so requests under way at
 * once are independent.
 */
export interface Transport {
  /**
   * Sends one batch; retries network and server failures and rate limits, then throws a
   * {@link SyncClientError}.
   */
  send(
    clientId: string,
    batch: BatchRequest,
    hooks: {
      signal?: AbortSignal | undefined;
      onRetry?: () => void;
      /**
       * Called once an attempt's answer says, by the server's commit header naming this batch,
       * that the batch committed (or is a replay of one that did): before the answer is parsed,
       * and whether or not it then reads as a result. It may be called again by a later attempt.
       */
      onCommitted?: () => void;
    },
  ): Promise<SyncBatchAnswer>;
  /**
   * Reads one page of changes (`syncChanges`); retries as `send` does, then throws a
   * {@link SyncClientError}: `INVALID_CURSOR` when the server refuses the cursor.
   */
  changes(
    clientId: string,
    request: ChangesRequest,
    hooks: {
      signal?: AbortSignal | undefined;
      onRetry?: () => void;
      /**
       * Called once an attempt's answer names, in the server's next-cursor header, the cursor of
       * the page after it: before the answer is parsed. It may be called again by a later attempt.
       */
      onNextCursor?: (cursor: string) => void;
    },
  ): Promise<SyncChangesAnswer>;
  /**
   * The server's limits, read once and kept (read again when `refresh`); throws a
   * {@link SyncClientError} when the server does not tell them. Once known, a request body over
   * `maxBodyBytes` is refused before it is sent (REQUEST_REFUSED, server code BODY_TOO_LARGE).
   */
  limits(refresh: boolean, signal?: AbortSignal): Promise<ServerLimits>;
  /**
   * The bytes of a `syncBatch` request body of `clientId` besides its operations' JSON, as it is
   * sent (with a batch id as long as a UUID, as every batch's is, and a batchSeq of one digit: a
   * batch's body is this plus the digits of its batchSeq beyond the first).
   */
  envelopeBytes(clientId: string): number;
  /** Bytes of request bodies sent so far, retries included. */
  readonly bytesSent: number;
  /** Closes the sockets of the transport's own fetch (none when the app gave one). */
  close(): void;
}

const retryable = new Set(["NETWORK", "SERVER", "RATE_LIMITED"]);

/** As long as every batch id (a UUID). */
const batchIdLike = "00000000-0000-0000-0000-000000000000";
/** A batchSeq of one digit: a batch adds the digits its own has beyond one (`fitBatchBody`). */
const batchSeqLike = 1;

/** A 32-bit DJB2 hash, the kind urql uses for its request keys. */
function phash(text: string): number {
  let hash = 5381;
  for (let i = 0; i < text.length; i++) hash = ((hash << 5) + hash + text.charCodeAt(i)) | 0;
  return hash >>> 0;
}

const noVariables: SyncBatchMutationVariables = {
  input: { clientId: "", batchId: "", batchSeq: 1, operations: [] },
};
const syncBatchRequest = createRequest(SyncBatchDocument, noVariables);

/**
 * One attempt of a batch: the `syncBatch` mutation through urql, with `fetch` (the call's own) in
 * its context; a {@link SyncClientError} if it fails.
 */
async function attemptBatch(
  urql: Client,
  rawJson: RawJson,
  clientId: string,
  batch: BatchRequest,
  fetch: typeof globalThis.fetch,
): Promise<SyncBatchAnswer> {
  const operations = rawJson.hold(batch.operationsJson);
  // The placeholder serialises to the operations' JSON; urql never looks inside it.
  const input = {
    clientId,
    batchId: batch.batchId,
    batchSeq: batch.batchSeq,
    operations: operations as unknown as SyncOperationInput[],
  };
  // urql keys a request by hashing its stringified variables: a pass over every operation
  // before the request leaves. The batch id already identifies the request.
  const request = { ...syncBatchRequest, key: phash(batch.batchId), variables: { input } };
  const result = await urql
    .executeMutation<SyncBatchMutation>(request, { fetch })
    .toPromise()
    .finally(() => rawJson.release(operations.marker));
  if (result.error) throw classify(result.error);
  const answer = result.data?.syncBatch;
  if (!answer)
    throw new SyncClientError("ANSWER_MISMATCH", "the server's answer has no syncBatch result");
  return answer;
}

/**
 * Backoff of a batch's attempts: network and server failures and rate limits are retried, a
 * refusal (credentials refused included) is not; a request cancelled because send() stopped is
 * neither retried nor counted as a retry. A rate-limited attempt first waits what the server's
 * `Retry-After` asks (cut short by the signal), then the usual backoff: its jitter spreads devices
 * that were all told the same time. One that asks for longer than `maxRetryAfterMs` stops the
 * call at once (retrying sooner would only be refused again).
 */
function retryPolicy(
  retry: ResolvedOptions["retry"],
  signal: AbortSignal | undefined,
  onRetry: (() => void) | undefined,
): PRetryOptions {
  const retries = (error: unknown) =>
    !signal?.aborted && error instanceof SyncClientError && retryable.has(error.code);
  return {
    retries: retry.retries,
    minTimeout: retry.minDelayMs,
    maxTimeout: retry.maxDelayMs,
    factor: 2,
    randomize: true,
    ...(signal ? { signal } : {}),
    shouldRetry: ({ error }) => retries(error),
    onFailedAttempt: async ({ error, retriesLeft }) => {
      if (!retries(error) || retriesLeft === 0) return;
      // p-retry rejects with what this throws, and makes no further attempt.
      const stop = tooLongToWait(error, retry.maxRetryAfterMs);
      if (stop) throw stop;
      onRetry?.();
      const asked = retryAfterOf(error);
      if (asked !== undefined) await pause(asked, signal);
    },
  };
}

/** Builds the transport of a client. */
export function createTransport(options: TransportOptions): Transport {
  const rawJson = createRawJson();
  const ownFetch = options.fetch
    ? undefined
    : createNodeFetch({ maxResponseBytes: options.maxAnswerBytes });
  const meter: CallMeter = { bytesSent: 0, maxBodyBytes: undefined };
  let known: ServerLimits | undefined;
  const fetchFor = createCallFetch({
    fetch: options.fetch ?? (ownFetch as NodeFetch),
    appFetch: options.fetch !== undefined,
    requestTimeoutMs: options.requestTimeoutMs,
    maxAnswerBytes: options.maxAnswerBytes,
    rawJson,
    meter,
    getToken: options.getToken,
  });
  const urql = new Client({
    url: options.endpoint,
    exchanges: [fetchExchange],
    // Each call passes a fetch of its own in its context; this one serves a call that does not.
    fetch: fetchFor({}),
    fetchOptions: { headers: { ...options.headers } },
    requestPolicy: "network-only",
    preferGetMethod: false,
  });

  return {
    get bytesSent() {
      return meter.bytesSent;
    },
    close() {
      ownFetch?.close();
    },
    send(clientId, batch, { signal, onRetry, onCommitted }) {
      const commit = onCommitted && { batchId: batch.batchId, onCommitted };
      return pRetry(
        () => attemptBatch(urql, rawJson, clientId, batch, fetchFor({ signal, commit })),
        retryPolicy(options.retry, signal, onRetry),
      );
    },
    changes(clientId, request, { signal, onRetry, onNextCursor }) {
      return pRetry(
        () => attemptChanges(urql, clientId, request, fetchFor({ signal, onNextCursor })),
        retryPolicy(options.retry, signal, onRetry),
      );
    },
    async limits(refresh, signal) {
      if (known && !refresh) return known;
      known = await readLimits(urql, fetchFor({ signal }));
      meter.maxBodyBytes = known.maxBodyBytes;
      return known;
    },
    envelopeBytes(clientId) {
      const operations = "x" as unknown as SyncOperationInput[];
      const input = { clientId, batchId: batchIdLike, batchSeq: batchSeqLike, operations };
      // What urql's fetch exchange sends, with `"x"` where the operations' JSON goes.
      const body = stringifyVariables(makeFetchBody({ ...syncBatchRequest, variables: { input } }));
      return Buffer.byteLength(body) - '"x"'.length;
    },
  };
}
