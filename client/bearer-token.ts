import { SyncClientError } from "./sync-client-error.ts";

/**
 * The app's source of credentials (`getToken`): the current token (a JWT, say) for the
 * `Authorization: Bearer` header. It is called for every request, and once more after a request
 * is refused with HTTP 401, so it should answer from its own cache and refresh only when needed.
 */
export type GetToken = () => string | Promise<string>;

/** The longest token sent: servers commonly refuse header sections past 8 to 16 KiB. */
export const maxTokenBytes = 8 * 1024;

/**
 * Visible ASCII only: a header value may not hold a line break (it would end the header, or be
 * refused by the fetch after other requests had gone), and a space would split the credentials.
 */
const tokenChars = /^[\x21-\x7e]+$/;

const unusable = (message: string, cause?: unknown): SyncClientError =>
  new SyncClientError("UNAUTHENTICATED", `getToken() ${message}; the request was not sent`, {
    ...(cause === undefined ? {} : { cause }),
  });

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * The token `value` if it can go in an `Authorization: Bearer` header, else throws
 * `UNAUTHENTICATED`. The message describes the token, and never holds it.
 */
export function checkToken(value: unknown): string {
  if (typeof value !== "string") throw unusable(`gave a ${typeof value}, not a text`);
  if (value.length === 0) throw unusable("gave an empty token");
  if (value.length > maxTokenBytes) {
    throw unusable(`gave a token longer than ${maxTokenBytes} characters (${value.length})`);
  }
  if (!tokenChars.test(value)) {
    throw unusable(
      "gave a token with a character an HTTP header cannot carry (a space, a line break, a control or non-ASCII character)",
    );
  }
  return value;
}

/**
 * Asks `getToken` for the token of one request and checks it. A call stopped (`signal`: the
 * request's timeout, the send's abort, the client's close) while `getToken` still works rejects
 * with the signal's reason at once: a token source that hangs must not hold `close()`.
 */
export async function readToken(getToken: GetToken, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted();
  const token = await new Promise<unknown>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    Promise.resolve()
      .then(() => getToken())
      .then(resolve, (error: unknown) => reject(unusable(`threw: ${describe(error)}`, error)))
      .finally(() => signal.removeEventListener("abort", onAbort));
  });
  return checkToken(token);
}
