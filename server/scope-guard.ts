import type { TableInfo } from "../schema/index.ts";
import { readScopes, type ScopeGrant } from "./scope-grant.ts";

/**
 * The scopes one request may read and write (undefined: every scope). The global scope `''` is
 * read by everyone. It holds the rows of global tables, which everyone writes, and the rows of a
 * scoped table whose scope value is null or empty (or no text or integer), which only a request
 * that writes every scope writes: otherwise any device could publish a row to every other device,
 * and edit or delete such rows, by leaving its scope column empty.
 */
export interface ScopeGuard {
  readonly reads: ReadonlySet<string> | undefined;
  readonly writes: ReadonlySet<string> | undefined;
}

/** No restriction: every scope read and written. */
export const openGuard: ScopeGuard = { reads: undefined, writes: undefined };

/** Whether the guard restricts anything (a request under `openGuard` skips every check). */
export const restricts = (guard: ScopeGuard): boolean =>
  guard.reads !== undefined || guard.writes !== undefined;

export const canRead = (guard: ScopeGuard, scope: string): boolean =>
  scope === "" || guard.reads === undefined || guard.reads.has(scope);

/** Whether the guard writes a row of `table` in `scope` (see {@link ScopeGuard} for `''`). */
export const canWrite = (guard: ScopeGuard, table: TableInfo, scope: string): boolean =>
  guard.writes === undefined ||
  (scope === "" ? table.scope.kind === "global" : guard.writes.has(scope));

/** The guard of a grant, refusing a malformed one (the app's `scopes` option answered it). */
export function guardOf(grant: ScopeGrant): ScopeGuard {
  const write: unknown = grant?.write;
  if (write !== "all" && (!Array.isArray(write) || write.some((s) => typeof s !== "string"))) {
    throw new TypeError('the scopes option must answer { read: …, write: string[] | "all" }');
  }
  return {
    reads: readScopes(grant),
    writes: write === "all" ? undefined : new Set(write as string[]),
  };
}
