import { createGraphQLError } from "graphql-yoga";
import { describeValue, type SyncModel } from "../schema/index.ts";
import type { SyncOperation } from "./operation.ts";

/** The longest clientId, batchId and eventId the server accepts. */
export const maxIdLength = 200;

function refuse(message: string): never {
  throw createGraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });
}

/** An id is 1 to {@link maxIdLength} characters of well-formed Unicode, else BAD_USER_INPUT. */
export function checkId(where: string, value: string): void {
  if (value.length === 0 || value.length > maxIdLength) {
    refuse(`${where} must be 1 to ${maxIdLength} characters long`);
  }
  // SQLite stores a lone surrogate as U+FFFD: "dev\uD800" and "dev\uDC00" would be one client.
  if (!value.isWellFormed())
    refuse(`${where} must be well-formed Unicode (it has a lone surrogate)`);
}

/** `.name` for a name that reads as one, else `["a name"]` (cut when long). */
function member(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ? `.${name}` : `[${describeValue(name)}]`;
}

const widestCache = new WeakMap<SyncModel, number>();

/** The most columns a table of the model has: the most members any `data` may hold. */
function widest(model: SyncModel): number {
  let found = widestCache.get(model);
  if (found === undefined) {
    found = Math.max(0, ...[...model.byName.values()].map((table) => table.columns.length));
    widestCache.set(model, found);
  }
  return found;
}

/**
 * `data` is null (or missing), or one flat object of plain values with at most as many members as
 * its table has columns. Checked member by member, never deeper, and with the count bounded, so a
 * huge or deeply nested value costs nothing before it is refused. Which members are columns, and
 * whether values fit them, is each operation's verdict later.
 */
function checkData(
  model: SyncModel,
  where: string,
  operation: SyncOperation,
  data: unknown = operation.data,
): void {
  if (data === undefined || data === null) return;
  if (typeof data !== "object" || Array.isArray(data)) {
    refuse(`${where} must be an object of column values or null, got ${describeValue(data)}`);
  }
  const limit = model.byName.get(operation.table)?.columns.length ?? widest(model);
  let members = 0;
  for (const name in data) {
    members += 1;
    if (members > limit) {
      refuse(
        `${where} has more than ${limit} members: ${describeValue(operation.table)} has ${limit} columns at most`,
      );
    }
    const value = (data as Record<string, unknown>)[name];
    if (value !== null && typeof value === "object") {
      refuse(
        `${where}${member(name)} must be a text, number, boolean or null, got ${describeValue(value)}`,
      );
    }
  }
}

/**
 * Checks what a `syncBatch` request must be before anything is hashed, copied or looked up: the
 * ids (length, well-formed, one event id per operation), the batchSeq (a positive integer) and the
 * shape of every `data`. Refuses
 * the whole request with `BAD_USER_INPUT`, naming the field at fault.
 */
export function checkBatchInput(
  model: SyncModel,
  input: {
    readonly clientId: string;
    readonly batchId: string;
    readonly batchSeq: number;
    readonly operations: readonly SyncOperation[];
  },
): void {
  checkId("input.clientId", input.clientId);
  checkId("input.batchId", input.batchId);
  const { batchSeq } = input;
  // GraphQL's Int already refuses floats and numbers beyond 32 bits; 0 and below would sit at or
  // under every pruned mark, and a caller in-process may pass anything.
  if (!Number.isSafeInteger(batchSeq) || batchSeq < 1) {
    refuse(`input.batchSeq must be a positive integer (1 or more), got ${describeValue(batchSeq)}`);
  }
  const seen = new Map<string, number>();
  for (const [index, operation] of input.operations.entries()) {
    const where = `input.operations[${index}]`;
    checkId(`${where}.eventId`, operation.eventId);
    const first = seen.get(operation.eventId);
    if (first !== undefined) {
      // A device that gave two operations one id could not tell which verdict is whose.
      refuse(
        `${where}.eventId ${JSON.stringify(operation.eventId)} repeats input.operations[${first}].eventId: each operation of a request needs its own event id`,
      );
    }
    seen.set(operation.eventId, index);
    checkData(model, `${where}.data`, operation);
    checkBase(model, where, operation);
  }
}

/**
 * `baseVersion` is null or a version (an integer from 0), and `base` null or, on an UPDATE, one
 * flat object like `data`: they describe the row as the device had it, so an INSERT has neither
 * and a DELETE no `base`.
 */
function checkBase(model: SyncModel, where: string, operation: SyncOperation): void {
  const { kind, base, baseVersion } = operation;
  if (baseVersion !== undefined && baseVersion !== null) {
    if (kind === "INSERT") refuse(`${where}.baseVersion must be null on an INSERT`);
    if (!Number.isSafeInteger(baseVersion) || baseVersion < 0) {
      refuse(
        `${where}.baseVersion must be a version (0 or more), got ${describeValue(baseVersion)}`,
      );
    }
  }
  if (base === undefined || base === null) return;
  if (kind !== "UPDATE") refuse(`${where}.base must be null on an ${kind}`);
  checkData(model, `${where}.base`, operation, base);
}
