import { Semaphore } from "async-mutex";
import { createGraphQLError, type GraphQLParams, type Plugin } from "graphql-yoga";
import { badRequest } from "./bad-request.ts";
import { jsonShapeProblem } from "./json-shape.ts";
import type { SyncLimits } from "./limits.ts";

/** A body above this size counts as large: at most {@link largeBodySlots} are read and parsed at once. */
const largeBodyBytes = 1024 * 1024;
const largeBodySlots = 2;
/** Bodies below this size are parsed without a look at their shape: they cannot cost much. */
const shapeCheckBytes = 256 * 1024;

function tooLarge(maxBytes: number): Error {
  return createGraphQLError(
    `The request body is larger than the server's limit of ${maxBytes} bytes`,
    { extensions: { code: "BODY_TOO_LARGE", http: { status: 413 } } },
  );
}

/** Whether a Content-Type names JSON: `application/json`, parameters (`; charset=utf-8`) allowed. */
function isJson(contentType: string | null): boolean {
  const mediaType = (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase();
  return mediaType === "application/json" || mediaType === "application/graphql-response+json";
}

/**
 * Reads the rest of a body that is over the limit and throws it away, so that a client that sends
 * its whole body before reading the answer gets the 413 instead of a reset connection; a body
 * larger than twice the limit is cut off instead (a client sending that much gets a reset).
 */
async function discard(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  seen: number,
  maxBytes: number,
): Promise<void> {
  let total = seen;
  while (total <= 2 * maxBytes) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done) return;
    total += value?.byteLength ?? 0;
  }
  await reader.cancel().catch(() => undefined);
}

/**
 * Reads a body of at most `maxBytes`. Once it is known to be large (declared so, or read so far),
 * it waits for one of the large-body slots and holds it until `use` returns, so the memory of
 * large bodies in flight is bounded whatever the number of clients sending them.
 */
async function readLimited<T>(
  request: Request,
  maxBytes: number,
  slots: Semaphore,
  use: (text: string) => T,
): Promise<T> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    // Nothing read yet; past twice the limit the declared length alone ends it.
    const reader = request.body?.getReader();
    if (reader) await discard(reader, declared > 2 * maxBytes ? declared : 0, maxBytes);
    throw tooLarge(maxBytes);
  }
  let release: (() => void) | undefined;
  try {
    if (declared > largeBodyBytes) [, release] = await slots.acquire();
    if (!request.body) return use("");
    const reader = request.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await discard(reader, total, maxBytes);
        throw tooLarge(maxBytes);
      }
      if (total > largeBodyBytes && !release) [, release] = await slots.acquire();
      chunks.push(value);
    }
    return use(Buffer.concat(chunks, total).toString("utf8"));
  } finally {
    release?.();
  }
}

/**
 * Reads POST bodies as the contract needs them: JSON only (415 otherwise), at most
 * `limits.maxBodyBytes` (413 `BODY_TOO_LARGE`, whether or not the client declared a length), large
 * ones a few at a time, and of a structure a `syncBatch` of `limits.maxOperationsPerRequest`
 * operations could have (400 otherwise) before JSON.parse builds it.
 */
export function useBodyLimit(limits: SyncLimits): Plugin {
  const slots = new Semaphore(largeBodySlots);
  // An operation and its data are two objects; the envelope (query, variables, input) a few more.
  const shape = { maxContainers: 2 * limits.maxOperationsPerRequest + 64, maxDepth: 32 };
  const parse = (text: string): GraphQLParams => {
    const problem = text.length > shapeCheckBytes ? jsonShapeProblem(text, shape) : undefined;
    if (problem) throw badRequest(`The request body cannot be a sync request: ${problem}.`);
    try {
      // Yoga checks the parameters' shape itself (a query text, variables an object).
      return JSON.parse(text) as GraphQLParams;
    } catch {
      throw badRequest("POST body sent invalid JSON.");
    }
  };
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== "POST") return;
      setRequestParser(async (req) => {
        if (!isJson(req.headers.get("content-type"))) {
          throw createGraphQLError("Send the request as application/json", {
            extensions: { code: "UNSUPPORTED_MEDIA_TYPE", http: { status: 415 } },
          });
        }
        return readLimited(req, limits.maxBodyBytes, slots, parse);
      });
    },
  };
}
