import type { WriteTransaction } from "../../writer/index.ts";
import type { ClientBinding, SyncStoreTransaction } from "./sync-store.ts";

/** The methods of a libSQL store transaction that keep clientIds' subjects (`sync_client`). */
export function libsqlClients(
  tx: WriteTransaction,
): Pick<SyncStoreTransaction, "bindClient" | "revokeClient"> {
  return {
    async bindClient(clientId, subject, maxPerSubject): Promise<ClientBinding> {
      const { rows } = await tx.execute({
        sql: "SELECT subject, revoked FROM sync_client WHERE client_id = ?",
        args: [clientId],
      });
      const [bound] = rows;
      if (bound) {
        if (String(bound.subject) !== subject) return "taken";
        return Number(bound.revoked) === 1 ? "revoked" : "bound";
      }
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
