import { scopeValue, type TableInfo } from "../schema/index.ts";
import type { ApplyContext } from "./apply-context.ts";
import { missingReference, missingRow } from "./explain-rejection.ts";
import type { Rejection } from "./operation.ts";
import type { Prepared } from "./prepare-operation.ts";
import { canRead, canWrite } from "./scope-guard.ts";
import type { Row, SqlValue } from "./store/sync-store.ts";

/** The scopes of rows a run is about to insert, by table and key: rows the store has no state of yet. */
export type RunScopes = Map<string, Map<SqlValue, string>>;

const checkedTables = new WeakMap<TableInfo, boolean>();

/**
 * Whether a write of `table` may be refused by scope at all: a global table whose references all
 * point to global tables never is (every row of it is `''`, read and written by everyone), so its
 * rows skip the look-ups.
 */
export function scopeMatters(context: ApplyContext, table: TableInfo): boolean {
  let matters = checkedTables.get(table);
  if (matters === undefined) {
    matters =
      table.scope.kind !== "global" ||
      table.references.some(
        (column) => context.model.byName.get(column.references ?? "")?.scope.kind !== "global",
      );
    checkedTables.set(table, matters);
  }
  return matters;
}

/** Where a scoped table's rows take their scope from, for a message: `project.team_id`. */
const scopeSource = (table: TableInfo): string =>
  table.scope.kind === "global" ? table.name : `${table.name}.${table.scope.column.name}`;

/** What writing a row outside the guard's scopes gets. */
const forbidden = (message: string): Rejection => ({ code: "FORBIDDEN", message });

/**
 * The scope of the row of `table` a reference names (`key`), and whether the store has it:
 * from the run about to be written, else from the sync state (undefined: no such row).
 */
async function referencedScope(
  context: ApplyContext,
  table: TableInfo,
  key: SqlValue,
  run?: RunScopes,
): Promise<string | undefined> {
  const waiting = run?.get(table.name)?.get(key);
  if (waiting !== undefined) return waiting;
  const state = await context.rowVersions.current(table, key);
  return state && !state.deleted ? state.scope : undefined;
}

/**
 * A reference among `values` to a row the client may not read (but for rows this request itself
 * inserts): answered exactly as a reference to a missing row is, so a device learns nothing of
 * rows outside its read scopes.
 */
async function hiddenReference(
  context: ApplyContext,
  table: TableInfo,
  values: ReadonlyArray<readonly [string, SqlValue | undefined]>,
  run?: RunScopes,
): Promise<Rejection | undefined> {
  for (const [name, value] of values) {
    const column = table.references.find((candidate) => candidate.name === name);
    const parent = context.model.byName.get(column?.references ?? "");
    if (!parent || value === null || value === undefined) continue;
    // A row this request inserts is its own to refer to, whatever its scope.
    if (run?.get(parent.name)?.has(value)) continue;
    const scope = await referencedScope(context, parent, value, run);
    if (scope !== undefined && !canRead(context.guard, scope)) {
      return missingReference(table, name, parent, value);
    }
  }
  return undefined;
}

/**
 * The scope a row of `table` with these values takes (a parent's from `run` or the store);
 * undefined when the parent it names is missing: the write fails its foreign key, as a write
 * naming a row outside the read scopes does, and the two must look alike.
 */
async function scopeOf(
  context: ApplyContext,
  table: TableInfo,
  columnValue: (column: string) => SqlValue | undefined,
  run?: RunScopes,
): Promise<string | undefined> {
  const rule = table.scope;
  if (rule.kind === "global") return "";
  const value = columnValue(rule.column.name);
  if (rule.kind === "column") return scopeValue(value) ?? "";
  const parent = context.model.byName.get(rule.parent);
  if (!parent || value === null || value === undefined) return "";
  return referencedScope(context, parent, value, run);
}

/**
 * Checks an UPDATE or DELETE of the row `key` against the request's scopes: a row the client may
 * not read is missing to it (NOT_FOUND, as for a key no row has; its row is not sent back); a row
 * it reads but may not write, a reference to a row it may not read, or an UPDATE that moves the
 * row into a scope it may not write is refused (its row is sent back, as for any rejection).
 */
export async function refuseChange(
  context: ApplyContext,
  item: Prepared,
  key: SqlValue,
  changes: ReadonlyArray<readonly [string, SqlValue]>,
): Promise<{ rejection: Rejection; giveBack: boolean } | undefined> {
  const { table } = item;
  const { guard } = context;
  const state = await context.rowVersions.current(table, key);
  if (!state) return undefined;
  if (!canRead(guard, state.scope)) {
    return { rejection: missingRow(table, key, item.key), giveBack: false };
  }
  const what = `${item.operation.kind} of ${table.name} ${String(key)}`;
  if (!canWrite(guard, table, state.scope)) {
    return { rejection: forbidden(`${what}: this client may not write its scope`), giveBack: true };
  }
  if (changes.length === 0) return undefined;
  const hidden = await hiddenReference(context, table, changes);
  if (hidden) return { rejection: hidden, giveBack: true };
  const rule = table.scope;
  if (rule.kind === "global" || !changes.some(([column]) => column === rule.column.name)) {
    return undefined;
  }
  const scope = await scopeOf(context, table, (name) => changes.find(([c]) => c === name)?.[1]);
  if (scope === undefined || scope === state.scope || canWrite(guard, table, scope)) {
    return undefined;
  }
  return {
    rejection: forbidden(`${what}: it would move the row into a scope this client may not write`),
    giveBack: true,
  };
}

/**
 * Checks an INSERT about to be written as `row` (server keys in place): a reference to a row the
 * client may not read is answered as a missing one; a row in a scope it may not write is
 * FORBIDDEN. An accepted row's scope joins `run`, for the rows after it that refer to it.
 */
export async function refuseInsert(
  context: ApplyContext,
  table: TableInfo,
  row: Row,
  run: RunScopes,
): Promise<Rejection | undefined> {
  const values = table.columns.map((column, i) => [column.name, row[i]] as const);
  const hidden = await hiddenReference(context, table, values, run);
  if (hidden) return hidden;
  const columnValue = (name: string) => row[table.columns.findIndex((c) => c.name === name)];
  const scope = await scopeOf(context, table, columnValue, run);
  // A parent that is missing fails the row's foreign key instead, whatever the scopes.
  if (scope === undefined) return undefined;
  if (!canWrite(context.guard, table, scope)) {
    const which =
      scope === ""
        ? `the global scope (${scopeSource(table)} names no scope), which only a client that writes every scope may write`
        : `scope ${scope}, which this client may not write`;
    return forbidden(`INSERT into ${table.name}: the row would be in ${which}`);
  }
  const key = row[0] ?? null;
  let keys = run.get(table.name);
  if (!keys) {
    keys = new Map();
    run.set(table.name, keys);
  }
  keys.set(key, scope);
  return undefined;
}
