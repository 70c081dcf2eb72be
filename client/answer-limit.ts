import { ResponseTooLargeError } from "./create-node-fetch.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** The failure of an answer longer than the client reads (`maxAnswerBytes`). */
export function answerTooLarge(maxBytes: number, cause?: unknown): SyncClientError {
  return new SyncClientError(
    "ANSWER_MISMATCH",
    `the server's answer is longer than maxAnswerBytes (${maxBytes} bytes); the rest was not read`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The {@link SyncClientError} a failed fetch stands for when the client's own checks failed it (a
 * body over the server's limit, not sent; an answer too long to read), else undefined. The
 * client's own fetch says "too long" with a {@link ResponseTooLargeError} as the `cause`.
 */
export function ownFailure(error: unknown): SyncClientError | undefined {
  if (error instanceof SyncClientError) return error;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof ResponseTooLargeError) return answerTooLarge(cause.maxBytes, error);
  return undefined;
}

/** Statuses whose Response has no body (the constructor refuses one). */
const bodiless = new Set([101, 103, 204, 205, 304]);

/**
 * The answer with a body that fails with {@link answerTooLarge} as soon as more than `maxBytes`
 * arrived, cancelling the rest, so an endless or huge answer is never held whole; one whose
 * declared length is already larger fails at once, unread. For the fetch the app passed (the
 * client's own fetch limits what it reads itself).
 */
export function limitAnswer(response: Response, maxBytes: number): Response {
  const declared = response.headers.get("content-length");
  if (Number(declared ?? 0) > maxBytes) {
    void response.body?.cancel().catch(() => undefined);
    throw answerTooLarge(maxBytes);
  }
  if (response.body === null || bodiless.has(response.status)) return response;
  // A declared length within the limit bounds the body (a fetch reads no byte past it), unless
  // the fetch decodes it: a small compressed answer may decode to any size.
  const encoding = response.headers.get("content-encoding") ?? "identity";
  if (declared !== null && encoding.toLowerCase() === "identity") return response;
  let received = 0;
  const limited = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        if (received > maxBytes) controller.error(answerTooLarge(maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
  const init = { status: response.status, headers: response.headers };
  try {
    return new Response(limited, { ...init, statusText: response.statusText });
  } catch {
    // A reason phrase the Response refuses (a fetch may accept more) says nothing we need.
    return new Response(limited, init);
  }
}
