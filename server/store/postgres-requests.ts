import type postgres from "postgres";
import { countOf, type PgRow, type PgSql, rowsOf } from "./postgres-connection.ts";
import type { ClientBinding, SyncStoreTransaction } from "./sync-store.ts";

/**
 * An advisory lock held until the transaction ends, on a name: what serialises work on one
 * clientId or subject across every server process (PostgreSQL's own lock, never process memory).
 */
function lockText(name: string): string {
  return `SELECT pg_advisory_xact_lock(hashtextextended('${name.replaceAll("'", "''")}:' || $1, 0))`;
}
const clientLock = lockText("sync_client");
const subjectLock = lockText("sync_subject");

/** A binding found in `sync_client` (over quota is a first binding's answer only). */
type FoundBinding = Exclude<ClientBinding, "over-quota">;

/** What a clientId's row of `sync_client` means to `subject`; one rule for the write and the read. */
function bindingOf(row: PgRow, subject: string): FoundBinding {
  if (String(row.subject) !== subject) return "taken";
  return Number(row.revoked) === 1 ? "revoked" : "bound";
}

const selectClient = "SELECT subject, revoked FROM sync_client WHERE client_id = $1";

/**
 * A clientId's binding as `SyncStore.findClientBinding` reads it: one statement on the pool, no
 * lock and no write; undefined when it is not bound yet.
 */
export async function findClientBinding(
  sql: PgSql,
  clientId: string,
  subject: string,
): Promise<FoundBinding | undefined> {
  const [row] = await rowsOf(sql, { text: selectClient, args: [clientId] });
  return row === undefined ? undefined : bindingOf(row, subject);
}

/** Rows of rate buckets full again removed per request, skipping those another request holds. */
const rateRowsPruned = 100;

/**
 * The methods of a PostgreSQL store transaction that concern a request as a whole: stored answers,
 * clientIds' subjects, request rates. `findBatch` first waits for any other transaction of the same
 * clientId (a batch delivered twice, to two processes, is applied once and replayed once).
 */
export function postgresRequests(
  tx: postgres.TransactionSql,
): Pick<
  SyncStoreTransaction,
  "findBatch" | "saveBatch" | "prunedBatchSeq" | "bindClient" | "revokeClient" | "takeRateToken"
> {
  return {
    async findBatch(clientId, batchId) {
      // Two statements: the SELECT's snapshot must be taken after the lock is granted.
      const locked = rowsOf(tx, { text: clientLock, args: [clientId] });
      const found = rowsOf(tx, {
        text: "SELECT request_hash, answer, batch_seq FROM sync_batch WHERE client_id = $1 AND batch_id = $2",
        args: [clientId, batchId],
      });
      await locked;
      const [row] = await found;
      if (!row) return undefined;
      return {
        requestHash: String(row.request_hash),
        answer: String(row.answer),
        batchSeq: Number(row.batch_seq),
      };
    },

    async saveBatch(clientId, batchId, batch) {
      await rowsOf(tx, {
        text: "INSERT INTO sync_batch (client_id, batch_id, request_hash, answer, created_at, batch_seq) VALUES ($1, $2, $3, $4, $5, $6)",
        args: [
          clientId,
          batchId,
          batch.requestHash,
          batch.answer,
          new Date().toISOString(),
          batch.batchSeq,
        ],
      });
    },

    async prunedBatchSeq(clientId) {
      const [row] = await rowsOf(tx, {
        text: "SELECT pruned_seq FROM sync_batch_mark WHERE client_id = $1",
        args: [clientId],
      });
      return row ? Number(row.pruned_seq) : 0;
    },

    async bindClient(clientId, subject, maxPerSubject): Promise<ClientBinding> {
      const select = { text: selectClient, args: [clientId] };
      const [bound] = await rowsOf(tx, select);
      if (bound) return bindingOf(bound, subject);
      // A first binding counts the subject's clientIds: one binding of a subject at a time.
      await rowsOf(tx, { text: subjectLock, args: [subject] });
      const [held] = await rowsOf(tx, {
        text: "SELECT count(*) AS n FROM sync_client WHERE subject = $1",
        args: [subject],
      });
      if (Number(held?.n ?? 0) >= maxPerSubject) return "over-quota";
      const inserted = await countOf(tx, {
        text: "INSERT INTO sync_client (client_id, subject, bound_at, revoked) VALUES ($1, $2, $3, 0) ON CONFLICT (client_id) DO NOTHING",
        args: [clientId, subject, Date.now()],
      });
      if (inserted === 1) return "bound";
      // Another process bound it meanwhile, perhaps to another subject.
      const [now] = await rowsOf(tx, select);
      return now ? bindingOf(now, subject) : "taken";
    },

    async revokeClient(clientId) {
      const changed = await countOf(tx, {
        text: "UPDATE sync_client SET revoked = 1 WHERE client_id = $1",
        args: [clientId],
      });
      return changed > 0;
    },

    async takeRateToken(key, { requests, perSeconds }, nowMs) {
      // The same GCRA as the libSQL store (see libsql-rate-limits.ts), one atomic upsert.
      const interval = Math.ceil((perSeconds * 1_000_000) / requests);
      const window = requests * interval;
      const now = Math.round(nowMs * 1000);
      const taken = await rowsOf(tx, {
        text: `INSERT INTO sync_rate (key, ready_at) VALUES ($1, $2::bigint + $3::bigint)
          ON CONFLICT (key) DO UPDATE SET ready_at = greatest(sync_rate.ready_at, $2::bigint) + $3::bigint
          WHERE greatest(sync_rate.ready_at, $2::bigint) + $3::bigint - $2::bigint <= $4::bigint
          RETURNING ready_at`,
        args: [key, now, interval, window],
      });
      if (taken.length > 0) {
        await rowsOf(tx, {
          text: `DELETE FROM sync_rate WHERE ctid IN (SELECT ctid FROM sync_rate WHERE ready_at < $1
            LIMIT ${rateRowsPruned} FOR UPDATE SKIP LOCKED)`,
          args: [now],
        });
        return 0;
      }
      const [held] = await rowsOf(tx, {
        text: "SELECT ready_at FROM sync_rate WHERE key = $1",
        args: [key],
      });
      const readyAt = Math.max(Number(held?.ready_at ?? now), now);
      return Math.max(1, Math.ceil((readyAt + interval - window - now) / 1_000_000));
    },
  };
}
