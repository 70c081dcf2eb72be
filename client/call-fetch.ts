import { limitAnswer } from "./answer-limit.ts";
import { type GetToken, readToken } from "./bearer-token.ts";
import { signalsCommit } from "./commit-signal.ts";
import { nextCursorOf } from "./next-cursor.ts";
import type { RawJson } from "./raw-json.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** What one request of the transport carries into its fetch, through urql's `OperationContext`. */
export interface CallHooks {
  /** Cancels the request (and the one urql would otherwise leave alone). */
  readonly signal?: AbortSignal | undefined;
  /** For a `syncBatch` request: its batch id, and what to call once the answer says it committed. */
  readonly commit?: { readonly batchId: string; readonly onCommitted: () => void } | undefined;
  /** For a `syncChanges` request: what to call with the next page's cursor, as soon as it is known. */
  readonly onNextCursor?: ((cursor: string) => void) | undefined;
}

/** The transport's counters and knowledge, shared by every call. */
export interface CallMeter {
  /** Bytes of request bodies sent so far, retries included. */
  bytesSent: number;
  /** The server's body limit once known: a larger body is refused before it is sent. */
  maxBodyBytes: number | undefined;
}

/** Options of {@link createCallFetch}. */
export interface CallFetchOptions {
  readonly fetch: typeof fetch;
  /** True for a fetch the app gave: its answers are not bounded by it, so they are cut here. */
  readonly appFetch: boolean;
  readonly requestTimeoutMs: number;
  readonly maxAnswerBytes: number;
  readonly rawJson: RawJson;
  readonly meter: CallMeter;
  /** The app's token source: each request carries `Authorization: Bearer <token>`. */
  readonly getToken?: GetToken | undefined;
}

type Body = ReturnType<RawJson["splice"]>;

const byteLength = (body: Body): number =>
  typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;

/** The request body with its raw JSON spliced in and counted; refused when over the limit. */
function prepareBody(body: string, { rawJson, meter }: CallFetchOptions): Body {
  const spliced = rawJson.splice(body);
  const bytes = byteLength(spliced);
  if (meter.maxBodyBytes !== undefined && bytes > meter.maxBodyBytes) {
    throw new SyncClientError(
      "REQUEST_REFUSED",
      `the request body of ${bytes} bytes is larger than the server's limit of ${meter.maxBodyBytes} bytes (maxBodyBytes); it was not sent`,
      { serverCode: "BODY_TOO_LARGE" },
    );
  }
  meter.bytesSent += bytes;
  return spliced;
}

/**
 * Sends the request, with the token of `getToken` when the app gave one. A 401 means the token
 * expired or was revoked since `getToken` gave it: it is asked once more and the request sent
 * again. The server refuses before it reads the body, so nothing of the first one was applied; a
 * second 401 is returned as it is (classified UNAUTHENTICATED, never retried).
 */
async function sendAuthorized(
  options: CallFetchOptions,
  input: Parameters<typeof fetch>[0],
  request: RequestInit & { signal: AbortSignal },
): Promise<Response> {
  const { getToken } = options;
  if (!getToken) return options.fetch(input, request);
  const attempt = async () => {
    const token = await readToken(getToken, request.signal);
    const headers = new Headers(request.headers);
    headers.set("authorization", `Bearer ${token}`);
    return options.fetch(input, { ...request, headers: Object.fromEntries(headers) });
  };
  const refused = await attempt();
  if (refused.status !== 401) return refused;
  await refused.body?.cancel().catch(() => undefined);
  if (request.body) options.meter.bytesSent += byteLength(request.body as Body);
  return attempt();
}

/**
 * Builds the fetch of one call, handed to urql in the call's `OperationContext`: everything it
 * needs travels with it, so concurrent calls never see each other's signal or hooks. It bounds
 * the request (and the wait for its token) by a timeout and the call's signal, adds the token of
 * `getToken` (asking again once after a 401), splices the raw JSON into the body, counts and
 * checks the body's size, bounds the answer's, and tells `commit.onCommitted` as soon as the
 * answer's header says the batch committed, before urql parses the answer.
 */
export function createCallFetch(options: CallFetchOptions): (hooks: CallHooks) => typeof fetch {
  return ({ signal, commit, onNextCursor }) =>
    async (input, init = {}) => {
      const signals = [AbortSignal.timeout(options.requestTimeoutMs)];
      if (init.signal) signals.push(init.signal);
      if (signal) signals.push(signal);
      const request = { ...init, signal: AbortSignal.any(signals) };
      if (typeof init.body === "string") request.body = prepareBody(init.body, options);
      let response = await sendAuthorized(options, input, request);
      // The client's own fetch stops reading a long answer itself.
      if (options.appFetch) response = limitAnswer(response, options.maxAnswerBytes);
      if (onNextCursor && response.status === 200) {
        const cursor = nextCursorOf(response);
        if (cursor !== undefined) {
          onNextCursor(cursor);
          // As for a commit below: the next page's request reaches its socket in the next turn of
          // the event loop (Node hands a request its socket in a later tick), before this answer
          // is parsed and the page checked and staged (synchronous work of several milliseconds).
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (!commit || response.status !== 200) return response;
      if (signalsCommit(response, commit.batchId)) {
        commit.onCommitted();
        // The next batch's request reaches its socket in the next turn of the event loop; the
        // parse of this answer (synchronous work) waits for it.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (!options.appFetch) return response;
      // Read whole here, a body that breaks off fails the fetch: a network failure, retried
      // (urql would take it for an answer that is not GraphQL). The client's own fetch does so itself.
      const bytes = new Uint8Array(await response.arrayBuffer());
      // No reason phrase: the status is 200, and a Response refuses some phrases a fetch accepts.
      return new Response(bytes, { status: response.status, headers: response.headers });
    };
}
