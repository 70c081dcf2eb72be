import type { WriteTransaction } from "../../writer/index.ts";
import type { ReadPlan } from "./libsql-reads.ts";
import type { ClientBinding, SyncStoreTransaction } from "./sync-store.ts";

/** A binding found in `sync_client` (over quota is a first binding's answer only). */
type FoundBinding = Exclude<ClientBinding, "over-quota">;

/** What a clientId's row of `sync_client` means to `subject`; one rule for the write and the read. */
function bindingOf(bound: unknown, revoked: unknown, subject: string): FoundBinding {
  if (String(bound) !== subject) return "taken";
  return Number(revoked) === 1 ? "revoked" : "bound";
}

const selectClient = "SELECT subject, revoked FROM sync_client WHERE client_id = ?";

/**
 * A clientId's binding as `SyncStore.findClientBinding` reads it, outside any write transaction;
 * undefined when it is not bound yet.
 */
export function* clientBindingPlan(
  clientId: string,
  subject: string,
): ReadPlan<FoundBinding | undefined> {
  const [row] = yield { sql: selectClient, args: [clientId] };
  return row === undefined ? undefined : bindingOf(row[0], row[1], subject);
}

/** The methods of a libSQL store transaction that keep clientIds' subjects (`sync_client`). */
export function libsqlClients(
  tx: WriteTransaction,
): Pick<SyncStoreTransaction, "bindClient" | "revokeClient"> {
  return {
    async bindClient(clientId, subject, maxPerSubject): Promise<ClientBinding> {
      const { rows } = await tx.execute({ sql: selectClient, args: [clientId] });
      const [bound] = rows;
      if (bound) return bindingOf(bound.subject, bound.revoked, subject);
      const { rows: held } = await tx.execute({
        sql: "SELECT count(*) AS n FROM sync_client WHERE subject = ?",
        args: [subject],
      });
      if (Number(held[0]?.n ?? 0) >= maxPerSubject) return "over-quota";
      await tx.execute({
        sql: "INSERT INTO sync_client (client_id, subject, bound_at, revoked) VALUES (?, ?, ?, 0)",
        args: [clientId, subject, Date.now()],
      });
      return "bound";
    },

    async revokeClient(clientId) {
      const { rowsAffected } = await tx.execute({
        sql: "UPDATE sync_client SET revoked = 1 WHERE client_id = ?",
        args: [clientId],
      });
      return rowsAffected > 0;
    },
  };
}
