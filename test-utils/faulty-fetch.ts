import { isSyncBatchRequest } from "./is-sync-batch-request.ts";

/** What happens to one request. */
export type FetchFault =
  /** Sent and committed by the server; the answer is lost on the way back. */
  | "drop-answer"
  /** Never reaches the server: the connection fails. */
  | "refuse"
  /** The server's answer is replaced by something that is not a GraphQL result. */
  | "garbage"
  /** The server's answer arrives cut in half: it begins as a committed result, then breaks off. */
  | "truncated"
  | "ok";

/** A fetch that injects faults into `syncBatch` requests by their number (1-based). */
export interface FaultyFetch {
  readonly fetch: typeof fetch;
  /** syncBatch requests seen so far. */
  readonly requests: number;
  /** Faults injected so far, by kind. */
  readonly injected: Readonly<Record<Exclude<FetchFault, "ok">, number>>;
}

/** Wraps the global fetch; `plan` decides the fate of each syncBatch request. */
export function faultyFetch(plan: (request: number) => FetchFault): FaultyFetch {
  let requests = 0;
  const injected = { "drop-answer": 0, refuse: 0, garbage: 0, truncated: 0 };
  const wrapped: typeof fetch = async (input, init) => {
    if (!isSyncBatchRequest(init)) return fetch(input, init);
    requests += 1;
    const fault = plan(requests);
    if (fault === "refuse") {
      injected.refuse += 1;
      throw new TypeError("fetch failed: connection refused (injected)");
    }
    const response = await fetch(input, init);
    if (fault === "ok") return response;
    if (fault === "truncated") {
      injected.truncated += 1;
      const text = await response.text();
      return new Response(text.slice(0, Math.floor(text.length / 2)), {
        status: response.status,
        headers: response.headers,
      });
    }
    await response.arrayBuffer();
    if (fault === "drop-answer") {
      injected["drop-answer"] += 1;
      throw new TypeError("fetch failed: connection reset (injected)");
    }
    injected.garbage += 1;
    return new Response("<html>proxy error</html>", {
      status: 200,
      headers: { "content-type": "text/html" },
    });
  };
  return {
    fetch: wrapped,
    get requests() {
      return requests;
    },
    injected,
  };
}
