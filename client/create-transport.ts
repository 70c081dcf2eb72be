import { randomUUID } from "node:crypto";
import { Client, type CombinedError, createRequest, fetchExchange } from "@urql/core";
import pRetry from "p-retry";
import { createNodeFetch, type NodeFetch } from "./create-node-fetch.ts";
import type {
  SyncBatchMutation,
  SyncBatchMutationVariables,
  SyncOperationInput,
} from "./generated/graphql.ts";
import type { Piece } from "./next-piece.ts";
import type { ResolvedOptions } from "./resolve-options.ts";
import { SyncLimitsQuery } from "./server-limits-query.ts";
import { SyncBatchMutation as SyncBatchDocument } from "./sync-batch-mutation.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** The server's answer to one piece. */
export type SyncBatchAnswer = SyncBatchMutation["syncBatch"];

/** A 32-bit DJB2 hash, the kind urql uses for its request keys. */
function phash(text: string): number {
  let hash = 5381;
  for (let i = 0; i < text.length; i++) hash = ((hash << 5) + hash + text.charCodeAt(i)) | 0;
  return hash >>> 0;
}

/** Codes of whole-request refusals that mean the piece must be cut smaller. */
const tooLargeCodes = new Set(["BATCH_TOO_LARGE", "BODY_TOO_LARGE"]);
const retryable = new Set(["NETWORK", "SERVER"]);

/** Posts pieces as `syncBatch` mutations through urql, retrying with backoff. */
export interface Transport {
  /** Sends one piece; retries network and server failures, then throws a {@link SyncClientError}. */
  send(
    clientId: string,
    piece: Piece,
    hooks: {
      signal?: AbortSignal | undefined;
      onRetry?: () => void;
      /**
       * Called as soon as an attempt's answer shows that the server committed the piece, before
       * the answer is parsed: the server wrote a non-null `syncBatch` result, which it does only
       * after the piece's transaction committed (or for a replay of one that did).
       */
      onCommitted?: () => void;
    },
  ): Promise<SyncBatchAnswer>;
  /** The server's operation cap, read through the `syncLimits` query. */
  maxOperations(): Promise<number>;
  /** Bytes of request bodies sent so far, retries included. */
  readonly bytesSent: number;
  /** Closes the sockets of the transport's own fetch (none when the app gave one). */
  close(): void;
}

function classify(error: CombinedError): SyncClientError {
  const status = (error.response as Response | undefined)?.status;
  const serverError = error.graphQLErrors[0];
  const serverCode = serverError?.extensions?.code;
  if (typeof serverCode === "string" && serverCode !== "INTERNAL_SERVER_ERROR") {
    return new SyncClientError(
      "REQUEST_REFUSED",
      `the server refused the request: ${serverError?.message} (${serverCode})`,
      {
        cause: error,
        serverCode,
      },
    );
  }
  if (status === 413) {
    return new SyncClientError(
      "REQUEST_REFUSED",
      "the server refused the request body as too large (HTTP 413)",
      {
        cause: error,
        serverCode: "BODY_TOO_LARGE",
      },
    );
  }
  // A request error (variables that do not fit the server's schema, say): sending it again
  // cannot help.
  if (status !== undefined && status >= 400 && status < 500) {
    return new SyncClientError(
      "REQUEST_REFUSED",
      `the server refused the request with HTTP ${status}${serverError ? `: ${serverError.message}` : ""}`,
      { cause: error },
    );
  }
  if (serverError || (status !== undefined && status >= 500)) {
    return new SyncClientError(
      "SERVER",
      `the server failed: ${serverError?.message ?? `HTTP ${status}`}`,
      { cause: error },
    );
  }
  if (status !== undefined && status < 300) {
    return new SyncClientError(
      "ANSWER_MISMATCH",
      `the server's answer is not a GraphQL result: ${error.message}`,
      {
        cause: error,
      },
    );
  }
  if (status !== undefined) {
    return new SyncClientError(
      "REQUEST_REFUSED",
      `the server refused the request with HTTP ${status}`,
      { cause: error },
    );
  }
  return new SyncClientError(
    "NETWORK",
    `the server could not be reached: ${error.networkError?.message ?? error.message}`,
    {
      cause: error,
    },
  );
}

/** Whether a failed send means the piece should be cut smaller and sent again. */
export function isTooLarge(error: unknown): boolean {
  return error instanceof SyncClientError && tooLargeCodes.has(error.serverCode ?? "");
}

/**
 * Lets JSON text built elsewhere (UTF-8 bytes) travel inside urql's request body unchanged. urql
 * serialises variables with its own key-sorting stringify, a second full pass over every
 * operation that the piece's JSON (built by SQLite) does not need: the variables carry a
 * placeholder whose `toJSON` is a marker, and the fetch puts the bytes in place of the quoted
 * marker.
 */
function createRawJson() {
  const prefix = `raw-json-${randomUUID()}-`;
  const held = new Map<string, Uint8Array>();
  let counter = 0;
  return {
    /** A placeholder for `json` that stays valid until `release` is called. */
    hold(json: Uint8Array): { readonly marker: string; toJSON(): string } {
      const marker = `${prefix}${counter++}`;
      held.set(marker, json);
      return { marker, toJSON: () => marker };
    },
    release(marker: string): void {
      held.delete(marker);
    },
    /** The body in UTF-8 with each quoted marker replaced by its bytes; unchanged without one. */
    splice(body: string): string | Uint8Array<ArrayBuffer> {
      const parts: Uint8Array[] = [];
      let from = 0;
      for (let start = body.indexOf(`"${prefix}`); start >= 0; ) {
        const end = body.indexOf('"', start + 1);
        const json = held.get(body.slice(start + 1, end));
        if (json === undefined) throw new Error("a request body names JSON no longer held");
        parts.push(Buffer.from(body.slice(from, start)), json);
        from = end + 1;
        start = body.indexOf(`"${prefix}`, from);
      }
      if (parts.length === 0) return body;
      parts.push(Buffer.from(body.slice(from)));
      return Buffer.concat(parts);
    },
  };
}

/**
 * How every answer to a committed piece begins when the server writes `data` first, as
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
  const ownFetch = options.fetch ? undefined : createNodeFetch();
  const fetchWith = options.fetch ?? (ownFetch as NodeFetch);
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
    if (typeof init.body === "string") {
      const body = rawJson.splice(init.body);
      request.body = body;
      bytesSent += typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    }
    const onCommitted = activeCommitted;
    activeCommitted = undefined;
    const response = fetchWith(input, request);
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
  const attempt = async (clientId: string, piece: Piece): Promise<SyncBatchAnswer> => {
    const operations = rawJson.hold(piece.operationsJson);
    // The placeholder serialises to the operations' JSON; urql never looks inside it.
    const input = {
      clientId,
      batchId: piece.batchId,
      operations: operations as unknown as SyncOperationInput[],
    };
    // urql keys a request by hashing its stringified variables: a pass over every operation
    // before the request leaves. The batch id already identifies the request.
    const request = { ...syncBatchRequest, key: phash(piece.batchId), variables: { input } };
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
    send(clientId, piece, { signal, onRetry, onCommitted }) {
      return pRetry(
        () => {
          activeSignal = signal;
          activeCommitted = onCommitted;
          return attempt(clientId, piece);
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
    async maxOperations() {
      activeSignal = undefined;
      activeCommitted = undefined;
      const result = await urql.query(SyncLimitsQuery, {}).toPromise();
      if (result.error) throw classify(result.error);
      const limit = result.data?.syncLimits.maxOperationsPerRequest;
      if (typeof limit !== "number" || limit < 1) {
        throw new SyncClientError(
          "ANSWER_MISMATCH",
          "the server's limits are missing from its answer",
        );
      }
      return limit;
    },
  };
}
