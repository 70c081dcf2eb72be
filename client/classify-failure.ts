import type { CombinedError } from "@urql/core";
import { ownFailure } from "./answer-limit.ts";
import { parseRetryAfter } from "./retry-after.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** Codes of whole-request refusals that mean the batch must be cut smaller. */
const tooLargeCodes = new Set(["BATCH_TOO_LARGE", "BODY_TOO_LARGE"]);

/**
 * The {@link SyncClientError} a failed request stands for: credentials refused (HTTP 401), a rate
 * limit (HTTP 429), a refusal of the server (with its code), a server failure, an answer that is
 * not a GraphQL result, a network failure, or the client's own refusal (a body over the server's
 * limit, an answer too long to read).
 */
export function classify(error: CombinedError): SyncClientError {
  const own = ownFailure(error.networkError);
  if (own) return own;
  const response = error.response as Response | undefined;
  const status = response?.status;
  const serverError = error.graphQLErrors[0];
  const serverCode = serverError?.extensions?.code;
  // Credentials and rate limits come as HTTP statuses (a proxy in front may answer them without a
  // GraphQL body); the code alone is taken too, from a server that answers them with HTTP 200.
  if (status === 401 || serverCode === "UNAUTHENTICATED") {
    return new SyncClientError(
      "UNAUTHENTICATED",
      `the server refused the request's credentials${serverError ? `: ${serverError.message}` : " (HTTP 401)"}`,
      { cause: error, serverCode: "UNAUTHENTICATED" },
    );
  }
  if (status === 429 || serverCode === "RATE_LIMITED") {
    // Read as the answer arrives: `retryAt` counts from now.
    const retryAfterMs = parseRetryAfter(response?.headers?.get("retry-after"));
    return new SyncClientError(
      "RATE_LIMITED",
      `the server limited the request rate${serverError ? `: ${serverError.message}` : " (HTTP 429)"}`,
      { cause: error, serverCode: "RATE_LIMITED", retryAfterMs },
    );
  }
  if (serverCode === "BATCH_EXPIRED") {
    return new SyncClientError(
      "BATCH_EXPIRED",
      `the server refused the batch as expired: ${serverError?.message} (BATCH_EXPIRED)`,
      { cause: error, serverCode },
    );
  }
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

/** Whether a failed send means the batch should be cut smaller and sent again. */
export function isTooLarge(error: unknown): boolean {
  return error instanceof SyncClientError && tooLargeCodes.has(error.serverCode ?? "");
}
