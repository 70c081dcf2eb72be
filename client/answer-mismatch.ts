import { SyncClientError } from "./sync-client-error.ts";

/** An answer that does not fit its request. */
export const mismatch = (message: string): SyncClientError =>
  new SyncClientError(
    "ANSWER_MISMATCH",
    `the server's answer does not fit the request: ${message}`,
  );
