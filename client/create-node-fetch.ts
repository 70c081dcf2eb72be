import http from "node:http";
import https from "node:https";

/** A `fetch` that owns keep-alive sockets: `close()` ends them. */
export type NodeFetch = typeof fetch & {
  /** Closes every socket: idle ones, and those of requests in flight, which then fail. */
  close(): void;
};

/** Options of {@link createNodeFetch}. */
export interface NodeFetchOptions {
  /** Idle keep-alive sockets kept per origin. Default 4. */
  readonly maxFreeSockets?: number;
  /**
   * An answer whose body is longer fails (a {@link ResponseTooLargeError} as the `cause`) as soon
   * as its declared length or the bytes received so far show it, and its connection is closed.
   * Default: no limit.
   */
  readonly maxResponseBytes?: number;
}

/** Why a fetch failed when an answer's body was longer than the fetch accepts. */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
  /** The most bytes the fetch accepts. */
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(`the answer's body is longer than the limit of ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
  }
}

type Body = string | Uint8Array;

function bodyOf(body: RequestInit["body"]): Body | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  throw new TypeError("this fetch sends text or byte bodies only");
}

function responseHeaders(message: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/** The answer as a `Response`; throws where the Response constructor refuses the status. */
function toResponse(message: http.IncomingMessage, chunks: Buffer[]): Response {
  const status = message.statusCode ?? 0;
  const empty = status === 204 || status === 205 || status === 304;
  const init = { status, headers: responseHeaders(message) };
  const body = empty ? null : Buffer.concat(chunks);
  try {
    return new Response(body, { ...init, statusText: message.statusMessage ?? "" });
  } catch {
    // A reason phrase the Response refuses (a control character, say) says nothing we need.
    return new Response(body, init);
  }
}

/**
 * A `fetch` over Node's own HTTP client, with keep-alive sockets: the client's default. The request
 * body reaches the socket in the same turn of the event loop as the call, before any other work of
 * the caller (the global fetch takes several turns, so a request posted just before the device's
 * synchronous SQLite work waited for that work), and the answer is buffered whole. It takes a URL
 * and an init with a text or byte body; it follows no redirect and decodes no compressed body (it
 * asks for none). A failure rejects with a `TypeError` whose `cause` says why (the socket's error,
 * a status outside 200–599, or a {@link ResponseTooLargeError}), as the global fetch does; an
 * aborted signal rejects with its reason.
 */
export function createNodeFetch({
  maxFreeSockets = 4,
  maxResponseBytes = Number.POSITIVE_INFINITY,
}: NodeFetchOptions = {}): NodeFetch {
  const agents = {
    "http:": new http.Agent({ keepAlive: true, maxFreeSockets }),
    "https:": new https.Agent({ keepAlive: true, maxFreeSockets }),
  };
  const nodeFetch = (input: string | URL | Request, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      if (input instanceof Request) {
        throw new TypeError("createNodeFetch takes a URL and an init object, not a Request");
      }
      const url = new URL(input);
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new TypeError(`fetch failed: unsupported protocol ${url.protocol}`);
      }
      const signal = init.signal ?? undefined;
      signal?.throwIfAborted();
      const body = bodyOf(init.body);
      const headers = Object.fromEntries(new Headers(init.headers));
      if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
      const send = url.protocol === "https:" ? https.request : http.request;
      let settled = false;
      const settle = () => {
        settled = true;
        signal?.removeEventListener("abort", abort);
      };
      const fail = (error: unknown) => {
        if (settled) return;
        settle();
        reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: error }));
      };
      const request = send(
        url,
        { method: init.method ?? "GET", headers, agent: agents[url.protocol] },
        (message) => {
          const chunks: Buffer[] = [];
          message.once("error", fail);
          // Refused by its declared length, or once the bytes read pass the limit: never buffered.
          const tooLarge = () => {
            fail(new ResponseTooLargeError(maxResponseBytes));
            request.destroy();
          };
          if (Number(message.headers["content-length"] ?? 0) > maxResponseBytes) return tooLarge();
          let received = 0;
          message.on("data", (chunk: Buffer) => {
            received += chunk.byteLength;
            if (received > maxResponseBytes) tooLarge();
            else chunks.push(chunk);
          });
          message.once("end", () => {
            if (settled) return;
            let response: Response;
            try {
              response = toResponse(message, chunks);
            } catch (error) {
              fail(error);
              return;
            }
            settle();
            resolve(response);
          });
        },
      );
      function abort() {
        request.destroy(signal?.reason);
      }
      signal?.addEventListener("abort", abort, { once: true });
      request.once("error", fail);
      request.end(body);
    });
  return Object.assign(nodeFetch, {
    close() {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  });
}
