import { createHmac, timingSafeEqual } from "node:crypto";

/** Why a device gets a snapshot instead of the changes since its cursor. */
export type ResetReason = "CURSOR_EXPIRED" | "SCOPE_CHANGED" | "STORE_CHANGED";

/** What a cursor says: where a device is in the change sequence, and what it was made for. */
export interface CursorState {
  readonly clientId: string;
  /** The changes up to this change sequence were passed. */
  readonly seq: number;
  /** The store's epoch when the cursor was made. */
  readonly epoch: string;
  /** The id of the store's newest commit mark at or below `seq` (see `SyncStore.commitMark`). */
  readonly mark: string;
  /** A digest of the read scopes the cursor was made for. */
  readonly scopes: string;
  /**
   * Set while a snapshot runs: its tombstones and scope exits at or below `floor` are left out,
   * and every page says `reason` (null for a device's first snapshot).
   */
  readonly snapshot: { readonly floor: number; readonly reason: ResetReason | null } | null;
}

/** Longer texts are not cursors this server made: refused before any work. */
const maxCursorLength = 1024;
const reasons = new Set<unknown>(["CURSOR_EXPIRED", "SCOPE_CHANGED", "STORE_CHANGED", null]);

function mac(secret: string, payload: string): Buffer {
  return createHmac("sha256", secret).update(payload).digest();
}

/** The cursor's text: its state as base64url JSON, a dot, and the state's HMAC-SHA256. */
export function signCursor(secret: string, state: CursorState): string {
  const { clientId, seq, epoch, mark, scopes, snapshot } = state;
  const payload = Buffer.from(
    JSON.stringify([
      clientId,
      seq,
      epoch,
      mark,
      scopes,
      snapshot?.floor ?? null,
      snapshot?.reason ?? null,
    ]),
  ).toString("base64url");
  return `${payload}.${mac(secret, payload).toString("base64url")}`;
}

/**
 * The state of a cursor this store signed for `clientId`; undefined for anything else (garbled,
 * forged, signed by another store, or made for another client).
 */
export function readCursor(
  secret: string,
  text: string,
  clientId: string,
): CursorState | undefined {
  if (text.length > maxCursorLength) return undefined;
  const [payload, signature, extra] = text.split(".");
  if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
  // Compared as text: base64url decoding takes several texts for one signature (padding bits,
  // a trailing "=", "+" and "/"), and a cursor altered in any character must be refused.
  const expected = Buffer.from(mac(secret, payload).toString("base64url"));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length !== 7) return undefined;
  const [owner, seq, epoch, mark, scopes, floor, reason] = fields as unknown[];
  if (typeof mark !== "string") return undefined;
  if (owner !== clientId || typeof epoch !== "string" || typeof scopes !== "string")
    return undefined;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return undefined;
  if (floor !== null && (!Number.isSafeInteger(floor) || (floor as number) < 0)) return undefined;
  if (!reasons.has(reason) || (floor === null && reason !== null)) return undefined;
  return {
    clientId,
    seq: seq as number,
    epoch,
    mark,
    scopes,
    snapshot:
      floor === null ? null : { floor: floor as number, reason: reason as ResetReason | null },
  };
}
