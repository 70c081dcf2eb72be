import { createNodeFetch } from "../client/index.ts";

/** A fault injected into one request of a device, by the request's kind. */
export type RoutedFault =
  /** syncBatch: committed by the server, the answer lost on the way back. */
  | "drop-answer"
  /** syncBatch: delivered twice, one after the other; the second (replayed) answer returned. */
  | "dup-batch"
  /** syncChanges: the server answers, the page is lost on the way back. */
  | "drop-page"
  /** syncChanges: the request delivered twice; the second answer returned. */
  | "dup-page"
  /**
   * syncChanges: the page before, within the same run (it said `hasMore: true` and the request
   * asks for what follows its cursor), delivered again instead of the next one.
   */
  | "replay-page";

/** A device's fetch to whichever server runs now, with faults armed one at a time. */
export interface RoutedFaultFetch {
  readonly fetch: typeof fetch;
  /** Arms `fault` for the next request of its kind (replaces one still armed). */
  arm(fault: RoutedFault): void;
  /** Disarms; returns the fault that was armed and never injected, if any. */
  disarm(): RoutedFault | undefined;
  /** Faults injected so far, by kind. */
  readonly injected: Readonly<Record<RoutedFault, number>>;
  /** Closes the keep-alive sockets. */
  close(): void;
}

const bodyText = (init: RequestInit | undefined): string => {
  const body = init?.body;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body.subarray(0, 4096));
  return "";
};

const kindOf = (text: string): "batch" | "page" | "other" =>
  text.includes("syncBatch") ? "batch" : text.includes("syncChanges") ? "page" : "other";

const batchFaults = new Set<RoutedFault>(["drop-answer", "dup-batch"]);

/** The cursor a syncChanges request asks after (null: from the start). */
function requestedCursor(text: string): string | null {
  try {
    const parsed = JSON.parse(text) as { variables?: { input?: { cursor?: string | null } } };
    return parsed.variables?.input?.cursor ?? null;
  } catch {
    return null;
  }
}

/**
 * A fetch that sends every request to `target()` (the endpoint of the server running now, so a
 * restarted server on another port is found), through a fetch of its own, and injects the fault
 * armed into the next request of its kind.
 */
export function routedFaultFetch(target: () => string): RoutedFaultFetch {
  const own = createNodeFetch();
  let armed: RoutedFault | undefined;
  const injected: Record<RoutedFault, number> = {
    "drop-answer": 0,
    "dup-batch": 0,
    "drop-page": 0,
    "dup-page": 0,
    "replay-page": 0,
  };
  /** The last page answered: its text, and what it said. */
  let lastPage: { text: string; cursor: string; hasMore: boolean } | undefined;
  type Answer = { status: number; text: string; committed: string | null };
  const send = async (init: RequestInit | undefined): Promise<Answer> => {
    const response = await own(target(), init);
    const committed = response.headers.get("x-sync-committed");
    return { status: response.status, text: await response.text(), committed };
  };
  const answer = ({ status, text, committed }: Answer) =>
    new Response(text, {
      status,
      headers: {
        "content-type": "application/json",
        ...(committed === null ? {} : { "x-sync-committed": committed }),
      },
    });

  const wrapped: typeof fetch = async (_input, init) => {
    const text = bodyText(init);
    const kind = kindOf(text);
    let fault =
      armed !== undefined && (kind === "batch") === batchFaults.has(armed) && kind !== "other"
        ? armed
        : undefined;
    if (
      fault === "replay-page" &&
      !(lastPage?.hasMore === true && requestedCursor(text) === lastPage.cursor)
    ) {
      // Not within a run: the fault waits for a request that is.
      fault = undefined;
    }
    if (fault) {
      armed = undefined;
      injected[fault] += 1;
    }
    if (fault === "replay-page" && lastPage) {
      return answer({ status: 200, text: lastPage.text, committed: null });
    }
    let result = await send(init);
    if (fault === "dup-batch" || fault === "dup-page") result = await send(init);
    if (fault === "drop-answer" || fault === "drop-page") {
      throw new TypeError("fetch failed: connection reset (injected)");
    }
    if (kind === "page" && result.status === 200) {
      try {
        const page = (
          JSON.parse(result.text) as {
            data?: { syncChanges?: { cursor: string; hasMore: boolean } };
          }
        ).data?.syncChanges;
        lastPage = page
          ? { text: result.text, cursor: page.cursor, hasMore: page.hasMore }
          : undefined;
      } catch {
        lastPage = undefined;
      }
    }
    return answer(result);
  };
  return {
    fetch: wrapped,
    arm(fault) {
      armed = fault;
    },
    disarm() {
      const left = armed;
      armed = undefined;
      return left;
    },
    injected,
    close: () => own.close(),
  };
}
