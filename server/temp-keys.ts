import type { Rejection, TempKeyRef } from "./operation.ts";
import type { Prepared, Refused } from "./prepare-operation.ts";
import type { SyncStoreTransaction, TempKeyEntry } from "./store/sync-store.ts";

/** A temporary key's state: its server key, `null` when its INSERT was rejected. */
type KeyState = number | null;

/**
 * One client's temporary keys during one request: loaded once per table, updated as operations
 * apply, and written back at the end. Invariants: a key is mapped only once the row it names is
 * written, and a mapped key stays mapped (nothing is ever unmapped).
 */
export interface TempKeys {
  /** The server key of a temporary key, or why it cannot be used. */
  resolve(ref: TempKeyRef): number | Rejection;
  /** The server key of a temporary key this client already had mapped, if any. */
  mapped(table: string, tempKey: number): number | undefined;
  /** Records a key mapping; called once the INSERT of its row was written. */
  map(table: string, tempKey: number, serverKey: number): void;
  /** Marks an INSERT rejected, unless its key is already mapped. */
  reject(table: string, tempKey: number): void;
  /** Writes the keys mapped or rejected during this request. */
  save(): Promise<void>;
}

/** Every temporary key the operations mention (their own INSERT keys and references), by table. */
function mentionedTempKeys(prepared: ReadonlyArray<Prepared | Refused>): Map<string, Set<number>> {
  const keys = new Map<string, Set<number>>();
  const add = (table: string, tempKey: number): void => {
    let set = keys.get(table);
    if (!set) {
      set = new Set();
      keys.set(table, set);
    }
    set.add(tempKey);
  };
  for (const item of prepared) {
    if (!item.ok) {
      if (typeof item.insert?.key === "number") add(item.insert.table, item.insert.key);
      continue;
    }
    if (item.operation.kind === "INSERT" && typeof item.key === "number")
      add(item.table.name, item.key);
    for (const ref of item.operation.refs) add(ref.table, ref.tempKey);
  }
  return keys;
}

/** Loads the states of the temporary keys the operations mention, in one query per table. */
export async function loadTempKeys(
  tx: SyncStoreTransaction,
  clientId: string,
  prepared: ReadonlyArray<Prepared | Refused>,
): Promise<TempKeys> {
  const states = new Map<string, Map<number, KeyState>>();
  for (const [table, tableKeys] of mentionedTempKeys(prepared)) {
    states.set(table, new Map(await tx.findTempKeys(clientId, table, [...tableKeys])));
  }
  /** By table, the keys mapped or rejected during this request. */
  const changed = new Map<string, Map<number, KeyState>>();
  const stateOf = (
    table: string,
    of: Map<string, Map<number, KeyState>>,
  ): Map<number, KeyState> => {
    let state = of.get(table);
    if (!state) {
      state = new Map();
      of.set(table, state);
    }
    return state;
  };
  const set = (table: string, tempKey: number, serverKey: KeyState): void => {
    stateOf(table, states).set(tempKey, serverKey);
    stateOf(table, changed).set(tempKey, serverKey);
  };

  return {
    resolve({ table, tempKey, column }) {
      const state = states.get(table)?.get(tempKey);
      if (typeof state === "number") return state;
      const where = column === undefined ? "key" : `data.${column}`;
      if (state === null) {
        return {
          code: "DEPENDENCY_REJECTED",
          message: `${where}: ${table} ${tempKey} was not created because its INSERT was rejected`,
        };
      }
      return {
        code: "UNKNOWN_TEMP_KEY",
        message: `${where}: ${table} ${tempKey} is not a temporary key this client inserted`,
      };
    },
    mapped(table, tempKey) {
      const state = states.get(table)?.get(tempKey);
      return typeof state === "number" ? state : undefined;
    },
    map(table, tempKey, serverKey) {
      set(table, tempKey, serverKey);
    },
    reject(table, tempKey) {
      if (typeof states.get(table)?.get(tempKey) !== "number") set(table, tempKey, null);
    },
    async save() {
      const entries: TempKeyEntry[] = [];
      for (const [table, keys] of changed) {
        for (const [clientKey, serverKey] of keys) entries.push({ table, clientKey, serverKey });
      }
      await tx.saveTempKeys(clientId, entries);
    },
  };
}
