import type { SyncStore, SyncStoreTransaction } from "../server/index.ts";

/** Which transaction method fails, and on which call of it (1-based, counted over the store's life). */
export interface Fault {
  readonly method: keyof SyncStoreTransaction;
  readonly onCall: number;
}

/**
 * Wraps a store so that one call of one transaction method throws an unexpected error after the
 * real call ran: the way a crash or a lost connection interrupts a request half-way.
 */
export function faultyStore(
  store: SyncStore,
  fault: Fault,
): SyncStore & { readonly failures: number } {
  let calls = 0;
  let failures = 0;
  return {
    get failures() {
      return failures;
    },
    close: () => store.close(),
    tableColumns: (table) => store.tableColumns(table),
    adoptRows: (model) => store.adoptRows(model),
    findClientBinding: (clientId, subject) => store.findClientBinding(clientId, subject),
    facts: () => store.facts(),
    commitMark: (seq) => store.commitMark(seq),
    readChanges: (query) => store.readChanges(query),
    pruneTombstones: (before, max) => store.pruneTombstones(before, max),
    pruneBatches: (retention) => store.pruneBatches(retention),
    writeTransaction(work) {
      return store.writeTransaction((tx) => {
        const wrapped: SyncStoreTransaction = { ...tx };
        const original = tx[fault.method] as (...args: unknown[]) => Promise<unknown>;
        (wrapped as unknown as Record<string, unknown>)[fault.method] = async (
          ...args: unknown[]
        ) => {
          const result = await original.apply(tx, args);
          calls += 1;
          if (calls === fault.onCall) {
            failures += 1;
            throw new Error(
              "injected fault: disk on fire at /var/lib/secret.db (SELECT * FROM sync_key)",
            );
          }
          return result;
        };
        return work(wrapped);
      });
    },
  };
}
