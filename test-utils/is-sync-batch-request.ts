/**
 * Whether a fetch call posts a `syncBatch` mutation. The client sends that body as bytes (the
 * operations' JSON comes from SQLite as is); the mutation's text sits before the variables.
 */
export function isSyncBatchRequest(init: RequestInit | undefined): boolean {
  const body = init?.body;
  if (typeof body === "string") return body.includes("syncBatch");
  if (body instanceof Uint8Array) {
    return new TextDecoder().decode(body.subarray(0, 4096)).includes("syncBatch");
  }
  return false;
}

/** The size in bytes of a request body given as a string or bytes (0 otherwise). */
export function bodyBytes(init: RequestInit | undefined): number {
  const body = init?.body;
  if (typeof body === "string") return Buffer.byteLength(body);
  return body instanceof Uint8Array ? body.byteLength : 0;
}
