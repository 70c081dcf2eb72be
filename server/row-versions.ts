import { type SyncModel, scopeValue, type TableInfo } from "../schema/index.ts";
import { createInsertedRuns, runsApply } from "./inserted-runs.ts";
import { saveRowVersions } from "./save-row-versions.ts";
import type {
  Row,
  RowState,
  ScopeExit,
  SqlValue,
  SyncStoreTransaction,
} from "./store/sync-store.ts";

/** A row's state while a request is applied, and when it last changed in the request. */
export interface Tracked {
  version: number;
  scope: string;
  deleted: boolean;
  /** The clientId of the latest applied write, and the first version of its run of writes. */
  writer: string;
  writerFrom: number;
  /** Written by this request (or moved to another scope by it): it gets a new change sequence. */
  changed: boolean;
}

/**
 * The sync bookkeeping of one request (SYNC.md, "Receive"): every applied write raises its row's
 * version, and every row written (or moved to another scope) gets a new change sequence when the
 * request saves, inside its transaction, so the sequence follows commit order. A row's scope comes
 * from the model: the value of its scope column, or its parent's scope; a row whose scope changes
 * leaves a scope exit behind and takes the rows that inherit from it along.
 */
export interface RowVersions {
  /**
   * An INSERT was written: `row` holds its values as written, key first. Returns the row's
   * version: at once for a new row of an autonumbered global table, else once looked up.
   */
  inserted(table: TableInfo, row: Row): number | Promise<number>;
  /** An UPDATE was written with these changes (server keys in place of temporary ones). */
  updated(
    table: TableInfo,
    key: SqlValue,
    changes: ReadonlyArray<readonly [string, SqlValue]>,
  ): Promise<number>;
  /** A DELETE was written; returns the row's version after it. */
  deleted(table: TableInfo, key: SqlValue): Promise<number>;
  /** The row's state as this request leaves it so far; undefined when the store has none. */
  current(table: TableInfo, key: SqlValue): Promise<RowState | undefined>;
  /**
   * An UPDATE or DELETE of the row was rejected: the row (or its tombstone) gets a new change
   * sequence at the version it has, so the device that wrote it receives the server's row again
   * and undoes its own write. Readers that know that version skip it.
   */
  rejected(table: TableInfo, key: SqlValue): Promise<void>;
  /** Loads the states of rows the request names by a server or device-made key, in one read per table. */
  preload(keys: ReadonlyMap<TableInfo, readonly string[]>): Promise<void>;
  /** Writes the states of the rows this request changed, with new change sequence numbers. */
  save(now: number): Promise<void>;
}

/** Who writes: the client, and the scopes it reads (undefined: every scope). */
export interface RowWriter {
  readonly clientId: string;
  readonly reads: ReadonlySet<string> | undefined;
}

/**
 * The bookkeeping of one request, in its transaction. A row the writer leaves in a scope it does
 * not read gets a writer exit, so that the writer's device, which holds the row, receives a DELETE.
 */
export function createRowVersions(
  model: SyncModel,
  tx: SyncStoreTransaction,
  writer: RowWriter,
): RowVersions {
  /** By table, then key: the row's state, or null when the store has none (a new row). */
  const tracked = new Map<string, Map<string, Tracked | null>>();
  const runs = createInsertedRuns();
  const exits: Array<Omit<ScopeExit, "seq">> = [];

  const tableRows = (table: string): Map<string, Tracked | null> => {
    let rows = tracked.get(table);
    if (!rows) {
      rows = new Map();
      tracked.set(table, rows);
    }
    return rows;
  };

  /** The row's state as this request left it so far, loaded from the store on first use. */
  async function stateOf(table: TableInfo, key: string): Promise<Tracked | undefined> {
    const rows = tableRows(table.name);
    const known = rows.get(key);
    if (known !== undefined) return known ?? undefined;
    if (runsApply(table) && runs.has(table, Number(key))) {
      const inserted = {
        version: 1,
        scope: "",
        deleted: false,
        writer: writer.clientId,
        writerFrom: 1,
        changed: false,
      };
      rows.set(key, inserted);
      return inserted;
    }
    const stored = (await tx.readRowStates(table, [key])).get(key);
    const state = stored ? { ...stored, changed: false } : null;
    rows.set(key, state);
    return state ?? undefined;
  }

  /** The scope of a row whose scope inputs are `columnValue` (a column's value by name). */
  async function scopeFrom(
    table: TableInfo,
    columnValue: (column: string) => SqlValue | undefined,
  ): Promise<string> {
    const { scope } = table;
    if (scope.kind === "global") return "";
    const value = columnValue(scope.column.name);
    if (scope.kind === "column") return scopeValue(value) ?? "";
    const parent = model.byName.get(scope.parent);
    const parentKey = scopeValue(value);
    if (!parent || parentKey === undefined) return "";
    return (await stateOf(parent, parentKey))?.scope ?? "";
  }

  /** Moves a row to `scope`, leaving an exit at `left` (the version it leaves with: the moving
   *  write's), and the rows that inherit from it along, each at the version it has. */
  async function move(table: TableInfo, key: string, state: Tracked, scope: string, left?: number) {
    if (state.scope === scope) return;
    const version = left ?? state.version;
    if (!state.deleted) exits.push({ table: table.name, key, scope: state.scope, version });
    state.scope = scope;
    state.changed = true;
    for (const child of model.ordered) {
      const rule = child.scope;
      if (rule.kind !== "parent" || rule.parent !== table.name) continue;
      const parentKey = table.keyKind === "autonumber" ? Number(key) : key;
      for (const childKey of await tx.childKeys(child, rule.column, parentKey)) {
        const childState = await stateOf(child, childKey);
        if (childState) await move(child, childKey, childState, scope);
      }
    }
  }

  /**
   * Records an applied write of this request's client that leaves the row at `state` (one version
   * above `previous`); returns its version. The client's run of writes goes on, or begins here.
   */
  function wrote(
    table: TableInfo,
    key: string,
    previous: Tracked | undefined,
    state: Pick<Tracked, "version" | "scope" | "deleted">,
  ): number {
    const own = previous?.writer === writer.clientId;
    const writerFrom = own ? previous.writerFrom : state.version;
    tableRows(table.name).set(key, {
      ...state,
      writer: writer.clientId,
      writerFrom,
      changed: true,
    });
    return state.version;
  }

  /** An insert that needs look-ups: a device-made key (a tombstone?) or a scope to work out. */
  async function insertedRow(table: TableInfo, row: Row): Promise<number> {
    const key = String(row[0]);
    const previous = table.keyKind === "client" ? await stateOf(table, key) : undefined;
    const scope = await scopeFrom(
      table,
      (name) => row[table.columns.findIndex((c) => c.name === name)],
    );
    return wrote(table, key, previous, {
      version: (previous?.version ?? 0) + 1,
      scope,
      deleted: false,
    });
  }

  return {
    async preload(keys) {
      for (const [table, list] of keys) {
        const rows = tableRows(table.name);
        const wanted = list.filter((key) => !rows.has(key));
        if (wanted.length === 0) continue;
        const states = await tx.readRowStates(table, wanted);
        for (const key of wanted) {
          const state = states.get(key);
          rows.set(key, state ? { ...state, changed: false } : null);
        }
      }
    },

    inserted(table, row) {
      if (!runsApply(table)) return insertedRow(table, row);
      runs.add(table, row[0] as number);
      return 1;
    },

    async updated(table, key, changes) {
      const text = String(key);
      const state = await stateOf(table, text);
      const rule = table.scope;
      let scope: string;
      if (rule.kind !== "global" && changes.some(([column]) => column === rule.column.name)) {
        scope = await scopeFrom(table, (name) => changes.find(([column]) => column === name)?.[1]);
      } else if (state || rule.kind === "global") {
        scope = state?.scope ?? "";
      } else {
        // A row the bookkeeping never saw (written by other means): its scope from its column.
        const value = await tx.readColumn(table, rule.column, key);
        scope = await scopeFrom(table, () => value);
      }
      if (state) await move(table, text, state, scope, state.version + 1);
      return wrote(table, text, state, {
        version: (state?.version ?? 0) + 1,
        scope,
        deleted: false,
      });
    },

    async deleted(table, key) {
      const text = String(key);
      const state = await stateOf(table, text);
      return wrote(table, text, state, {
        version: (state?.version ?? 0) + 1,
        scope: state?.scope ?? "",
        deleted: true,
      });
    },

    async current(table, key) {
      const state = await stateOf(table, String(key));
      if (!state) return undefined;
      const { version, scope, deleted, writer: by, writerFrom } = state;
      return { version, scope, deleted, writer: by, writerFrom };
    },

    async rejected(table, key) {
      const state = await stateOf(table, String(key));
      if (state) state.changed = true;
    },

    save(now) {
      return saveRowVersions(model, tx, { tracked, runs, exits, writer }, now);
    },
  };
}
