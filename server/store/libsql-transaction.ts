import type { WriteTransaction } from "../../writer/index.ts";
import { libsqlBatches } from "./libsql-batches.ts";
import { libsqlClients } from "./libsql-clients.ts";
import { libsqlRateLimits } from "./libsql-rate-limits.ts";
import { libsqlRejectedRows } from "./libsql-rejected-rows.ts";
import { libsqlRowStates } from "./libsql-row-states.ts";
import { libsqlRows } from "./libsql-rows.ts";
import { libsqlTempKeys } from "./libsql-temp-keys.ts";
import type { SyncStoreTransaction } from "./sync-store.ts";

/**
 * The {@link SyncStoreTransaction} of one libSQL write transaction, assembled from its parts by
 * role. A plain object whose methods are its own properties, so a wrapper may copy it with `...`.
 */
export function libsqlTransaction(tx: WriteTransaction): SyncStoreTransaction {
  return {
    ...libsqlBatches(tx),
    ...libsqlClients(tx),
    ...libsqlRateLimits(tx),
    ...libsqlTempKeys(tx),
    ...libsqlRejectedRows(tx),
    ...libsqlRows(tx),
    ...libsqlRowStates(tx),
  };
}
