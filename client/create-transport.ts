import { Client, createRequest, fetchExchange, stringifyVariables } from "@urql/core";
import { makeFetchBody } from "@urql/core/internal";
import pRetry from "p-retry";
import { limitAnswer } from "./answer-limit.ts";
import { classify } from "./classify-failure.ts";
import { createNodeFetch, type NodeFetch } from "./create-node-fetch.ts";
import type {
  SyncBatchMutation,
  SyncBatchMutationVariables,
  SyncOperationInput,
} from "./generated/graphql.ts";
import type { Batch } from "./next-batch.ts";
import { createRawJson } from "./raw-json.ts";
import type { ResolvedOptions } from "./resolve-options.ts";
import { SyncLimitsQuery } from "./server-limits-query.ts";
import { SyncBatchMutation as SyncBatchDocument } from "./sync-batch-mutation.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** The server's answer to one batch. */
export type SyncBatchAnswer = SyncBatchMutation["syncBatch"];

/** The server's limits, read through the `syncLimits` query. */
export interface ServerLimits {
  readonly maxOperations: number;
  /** The longest request body the server reads, in bytes. */
  readonly maxBodyBytes: number;
}

/** Posts batches as `syncBatch` mutations through urql, retrying with backoff. */
export interface Transport {
  /** Sends one batch; retries network and server failures, then throws a {@link SyncClientError}. */
  send(
    clientId: string,
    batch: Batch,
    hooks: {
      signal?: AbortSignal | undefined;
      onRetry?: () => void;
      /**
       * Called as soon as an attempt's answer shows that the server committed the batch, before
       * the answer is parsed: the server wrote a non-null `syncBatch` result, which it does only
       * after the batch's transaction committed (or for a replay of one that did).
       */
      onCommitted?: () => void;
    },
  ): Promise<SyncBatchAnswer>;
  /**
   * The server's limits, read once and kept (read again when `refresh`); throws a
   * {@link SyncClientError} when the server does not tell them. Once known, a request body over
   * `maxBodyBytes` is refused before it is sent (REQUEST_REFUSED, server code BODY_TOO_LARGE).
   */
  limits(refresh: boolean, signal?: AbortSignal): Promise<ServerLimits>;
  /**
   * The bytes of a `syncBatch` request body of `clientId` besides its operations' JSON, exactly as
   * it is sent (with a batch id as long as a UUID, as every batch's is).
   */
  envelopeBytes(clientId: string): number;
  /** Bytes of request bodies sent so far, retries included. */
  readonly bytesSent: number;
  /** Closes the sockets of the transport's own fetch (none when the app gave one). */
  close(): void;
}

const retryable = new Set(["NETWORK", "SERVER"]);

/** As long as every batch id (a UUID). */
const batchIdLike = "00000000-0000-0000-0000-000000000000";

/** A 32-bit DJB2 hash, the kind urql uses for its request keys. */
function phash(text: string): number {
  let hash = 5381;
  for (let i = 0; i < text.length; i++) hash = ((hash << 5) + hash + text.charCodeAt(i)) | 0;
  return hash >>> 0;
}

/**
 * How every answer to a committed batch begins when the server writes `data` first, as
 * graphql-yoga does: a non-null `syncBatch` object. Anything else is left to the full parse.
 */
const committedPrefix = new TextEncoder().encode('{"data":{"syncBatch":{');

/**
 * Reads the answer whole, calls `onCommitted` when it shows the server's commit (before urql
 * parses it), and hands urql the same bytes. Reading it here keeps a body that breaks off a
 * failure of the fetch, a network failure that is retried, whichever fetch the app passed.
 */
async function watchCommitted(response: Response, onCommitted: () => void): Promise<Response> {
  if (response.status !== 200) return response;
  const bytes = new Uint8Array(await response.arrayBuffer());
  let committed = bytes.length >= committedPrefix.length;
  for (let i = 0; committed && i < committedPrefix.length; i++) {
    committed = bytes[i] === committedPrefix[i];
  }
  if (committed) {
    onCommitted();
    // The request that onCommitted posts reaches its socket only after this turn of the event
    // loop; urql's parse of this answer (a millisecond of synchronous work) waits for it.
    await new Promise((resolve) => setImmediate(resolve));
  }
  // No reason phrase: the status is 200, and a Response refuses some phrases a fetch accepts.
  return new Response(bytes, { status: response.status, headers: response.headers });
}

/** Builds the transport of a client. */
export function createTransport(options: ResolvedOptions): Transport {
  let bytesSent = 0;
  const rawJson = createRawJson();
  const maxAnswerBytes = options.maxAnswerBytes;
  const ownFetch = options.fetch
    ? undefined
    : createNodeFetch({ maxResponseBytes: maxAnswerBytes });
  const fetchWith = options.fetch ?? (ownFetch as NodeFetch);
  let known: ServerLimits | undefined;
  /**
   * The signal and commit hook of the attempt being posted: urql calls the fetch within the
   * attempt that sets them, and the fetch takes them at its call.
   */
  let activeSignal: AbortSignal | undefined;
  let activeCommitted: (() => void) | undefined;
  const countingFetch: typeof fetch = (input, init = {}) => {
    const signals = [AbortSignal.timeout(options.requestTimeoutMs)];
    if (init.signal) signals.push(init.signal);
    if (activeSignal) signals.push(activeSignal);
    const request = { ...init, signal: AbortSignal.any(signals) };
    const onCommitted = activeCommitted;
    activeCommitted = undefined;
    if (typeof init.body === "string") {
      const body = rawJson.splice(init.body);
      const bytes = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
      if (known && bytes > known.maxBodyBytes) {
        return Promise.reject(
          new SyncClientError(
            "REQUEST_REFUSED",
            `the request body of ${bytes} bytes is larger than the server's limit of ${known.maxBodyBytes} bytes (maxBodyBytes); it was not sent`,
            { serverCode: "BODY_TOO_LARGE" },
          ),
        );
      }
      request.body = body;
      bytesSent += bytes;
    }
    // The client's own fetch stops reading a long answer itself; another fetch's answer is cut here.
    const response = options.fetch
      ? fetchWith(input, request).then((answer) => limitAnswer(answer, maxAnswerBytes))
      : fetchWith(input, request);
    return onCommitted ? response.then((answer) => watchCommitted(answer, onCommitted)) : response;
  };
  const urql = new Client({
    url: options.endpoint,
    exchanges: [fetchExchange],
    fetch: countingFetch,
    fetchOptions: { headers: { ...options.headers } },
    requestPolicy: "network-only",
    preferGetMethod: false,
  });

  const noVariables: SyncBatchMutationVariables = {
    input: { clientId: "", batchId: "", operations: [] },
  };
  const syncBatchRequest = createRequest(SyncBatchDocument, noVariables);
  const attempt = async (clientId: string, batch: Batch): Promise<SyncBatchAnswer> => {
    const operations = rawJson.hold(batch.operationsJson);
    // The placeholder serialises to the operations' JSON; urql never looks inside it.
    const input = {
      clientId,
      batchId: batch.batchId,
      operations: operations as unknown as SyncOperationInput[],
    };
    // urql keys a request by hashing its stringified variables: a pass over every operation
    // before the request leaves. The batch id already identifies the request.
    const request = { ...syncBatchRequest, key: phash(batch.batchId), variables: { input } };
    const result = await urql
      .executeMutation<SyncBatchMutation>(request)
      .toPromise()
      .finally(() => rawJson.release(operations.marker));
    if (result.error) throw classify(result.error);
    const answer = result.data?.syncBatch;
    if (!answer)
      throw new SyncClientError("ANSWER_MISMATCH", "the server's answer has no syncBatch result");
    return answer;
  };

  return {
    get bytesSent() {
      return bytesSent;
    },
    close() {
      ownFetch?.close();
    },
    send(clientId, batch, { signal, onRetry, onCommitted }) {
      return pRetry(
        () => {
          activeSignal = signal;
          activeCommitted = onCommitted;
          return attempt(clientId, batch);
        },
        {
          retries: options.retry.retries,
          minTimeout: options.retry.minDelayMs,
          maxTimeout: options.retry.maxDelayMs,
          factor: 2,
          randomize: true,
          ...(signal ? { signal } : {}),
          // A request cancelled because send() stopped is not retried, nor counted as a retry.
          shouldRetry: ({ error }) =>
            !signal?.aborted && error instanceof SyncClientError && retryable.has(error.code),
          onFailedAttempt: ({ error, retriesLeft }) => {
            if (signal?.aborted) return;
            if (error instanceof SyncClientError && retryable.has(error.code) && retriesLeft > 0)
              onRetry?.();
          },
        },
      );
    },
    async limits(refresh, signal) {
      if (known && !refresh) return known;
      activeSignal = signal;
      activeCommitted = undefined;
      const result = await urql.query(SyncLimitsQuery, {}).toPromise();
      if (result.error) throw classify(result.error);
      const limits = result.data?.syncLimits;
      const positive = (value: unknown): value is number =>
        Number.isSafeInteger(value) && (value as number) > 0;
      if (!positive(limits?.maxOperationsPerRequest) || !positive(limits?.maxBodyBytes)) {
        throw new SyncClientError(
          "ANSWER_MISMATCH",
          "the server's limits are missing from its answer",
        );
      }
      known = { maxOperations: limits.maxOperationsPerRequest, maxBodyBytes: limits.maxBodyBytes };
      return known;
    },
    envelopeBytes(clientId) {
      const operations = "x" as unknown as SyncOperationInput[];
      const input = { clientId, batchId: batchIdLike, operations };
      // What urql's fetch exchange sends, with `"x"` where the operations' JSON goes.
      const body = stringifyVariables(makeFetchBody({ ...syncBatchRequest, variables: { input } }));
      return Buffer.byteLength(body) - '"x"'.length;
    },
  };
}
