import { createHash } from "node:crypto";
import type { SyncOperation } from "./operation.ts";

/** A key V8 orders as an array index (numerically, before other keys), whatever the insertion order. */
const arrayIndex = /^(?:0|[1-9][0-9]{0,9})$/;

/**
 * The canonical JSON of a value, built key by key: object keys sorted by code unit, `undefined`
 * members left out. Exact for every key; used where {@link sortedCopy} cannot be.
 */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  const object = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(object).sort()) {
    if (object[key] !== undefined)
      members.push(`${JSON.stringify(key)}:${canonicalJson(object[key])}`);
  }
  return `{${members.join(",")}}`;
}

/**
 * A copy of a JSON value with object keys in sorted order, so one native JSON.stringify gives the
 * canonical text; `undefined` when that cannot hold: V8 puts array-index keys ("9", "10") first
 * in numeric order whatever order they are added in. The copy has no prototype, so a key named
 * `__proto__` stays a key.
 */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i]);
      if (item === undefined && value[i] !== undefined) return undefined;
      copy[i] = item;
    }
    return copy;
  }
  const object = value as Record<string, unknown>;
  const copy: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(object).sort()) {
    if (object[key] === undefined) continue;
    const first = key.charCodeAt(0);
    if (first >= 48 && first <= 57 && arrayIndex.test(key)) return undefined;
    const member = sortedCopy(object[key]);
    if (member === undefined) return undefined;
    copy[key] = member;
  }
  return copy;
}

/**
 * Whether `JSON.stringify(value)` is already canonical: `null`, or an object whose values are all
 * scalars and whose keys come in sorted order. The device sends its data so; the object then
 * serves as is, with no copy to build. The order checked is the one JSON.stringify walks (V8's,
 * array indexes first), so such keys need no special case here.
 */
function isCanonicalFlat(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== "object" || Array.isArray(value)) return false;
  const object = value as Record<string, unknown>;
  let previous = "";
  let first = true;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) return false;
    if (!first && !(previous < key)) return false;
    const member = object[key];
    if (member === undefined || (typeof member === "object" && member !== null)) return false;
    previous = key;
    first = false;
  }
  return true;
}

/**
 * The identity of a request's operations: SHA-256 of their canonical JSON (keys sorted, a missing
 * `data` the same as null, a missing or null `base` and `baseVersion` left out), so two requests
 * compare as JSON values whatever their key order.
 * The text is fixed (tests pin it), since a stored hash must keep matching a repeat of its
 * request: built in one native JSON.stringify pass over sorted copies, or key by key when a data
 * object has array-index keys.
 */
export function hashOperations(operations: readonly SyncOperation[]): string {
  const canonical = new Array<unknown>(operations.length);
  let exact = true;
  for (let i = 0; i < operations.length && exact; i++) {
    const { eventId, table, kind, key, data, base, baseVersion } = operations[i] as SyncOperation;
    const copy = isCanonicalFlat(data ?? null) ? (data ?? null) : sortedCopy(data ?? null);
    exact = copy !== undefined;
    // A base is part of the identity when given (absent, the text is what it always was).
    const baseCopy =
      base === undefined || base === null || isCanonicalFlat(base) ? base : sortedCopy(base);
    if (base !== undefined && base !== null && baseCopy === undefined) exact = false;
    canonical[i] = {
      base: baseCopy ?? undefined,
      baseVersion: baseVersion ?? undefined,
      data: copy,
      eventId,
      key,
      kind,
      table,
    };
  }
  const text = exact
    ? JSON.stringify(canonical)
    : canonicalJson(
        operations.map(({ eventId, table, kind, key, data, base, baseVersion }) => ({
          base: base ?? undefined,
          baseVersion: baseVersion ?? undefined,
          data: data ?? null,
          eventId,
          key,
          kind,
          table,
        })),
      );
  return createHash("sha256").update(text).digest("base64url");
}
