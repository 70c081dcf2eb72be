import type { CustomConflict, CustomVerdict } from "../schema/index.ts";

// A reference model of SYNC.md "Conflicts", written from the spec's rules and not from
// server/decide-conflict.ts: the property test predicts every verdict and every row with it.

/** The policies of test-utils/conflict-model.ts, by table. */
export type PolicyName = "mergeClient" | "mergeServer" | "serverWins" | "none" | "custom";

/** The tables of the conflict model and their policies. */
export const policyOf: Readonly<Record<string, PolicyName>> = {
  merged: "mergeClient",
  server_merged: "mergeServer",
  server_wins: "serverWins",
  unchecked: "none",
  custom: "custom",
};

/** Column values of a row, the key left out (every column of the model is text). */
export type Values = Record<string, string>;

/** What the server holds of a row, as the model sees it. */
export interface ModelRow {
  values: Values;
  version: number;
  deleted: boolean;
  /** The client of the latest applied write, and the first version of its run of writes. */
  writer: string;
  writerFrom: number;
}

/** An operation as it goes on the wire (`SyncOperationInput`). */
export interface WireOperation {
  readonly eventId: string;
  readonly kind: "INSERT" | "UPDATE" | "DELETE";
  readonly table: string;
  readonly key: string;
  readonly data: Values | null;
  readonly baseVersion?: number | null;
  readonly base?: Values | null;
}

/** A verdict as the model predicts it, in the shape of the answer's `OperationResult`. */
export interface Verdict {
  readonly eventId: string;
  readonly status: "APPLIED" | "REJECTED";
  readonly code: string | null;
  readonly version: number | null;
  readonly conflict: {
    readonly serverVersion: number;
    readonly serverRow: Values | null;
    readonly columns: readonly string[];
    readonly resolution: "CLIENT_WON" | "MERGED" | "SERVER_WON" | "DELETED_REMOTELY";
  } | null;
}

/**
 * The test's custom policy: a DELETE of a row changed since its base is refused; a title both
 * sides changed becomes "server's+client's"; a color both changed is refused; anything else is
 * accepted. Deterministic, so the model can say what it does.
 */
export function concatTitles(conflict: CustomConflict): CustomVerdict {
  if (conflict.kind === "DELETE") return { reject: "custom: a changed row is kept" };
  const incoming = conflict.incoming ?? {};
  if (conflict.columns.includes("title")) {
    return { write: { ...incoming, title: `${conflict.serverRow.title}+${incoming.title}` } };
  }
  if (conflict.columns.includes("color")) return { reject: "custom: the color is the server's" };
  return { accept: true };
}

const sorted = (columns: readonly string[]): string[] => [...columns].sort();

/**
 * The server's rows and stored answers, as the spec says they evolve: a write raises the row's
 * version and makes its client the writer (its run goes on when it was the writer already); a
 * stale operation (another writer's version after its base) goes to its table's policy.
 */
export class ConflictReference {
  /** By `table:key` (see {@link ConflictReference.id}). */
  readonly rows = new Map<string, ModelRow>();
  /** Stored answers, by client and batch id: a replay answers them and changes nothing. */
  readonly answers = new Map<string, Verdict[]>();

  /** A row's id in {@link rows}: its table and key. */
  static id(table: string, key: string | number): string {
    return `${table}:${key}`;
  }

  /** A row written by `writer`'s insert (version 1). */
  insert(table: string, key: string | number, values: Values, writer: string): void {
    this.rows.set(ConflictReference.id(table, key), {
      values: { ...values },
      version: 1,
      deleted: false,
      writer,
      writerFrom: 1,
    });
  }

  /** The verdicts of a batch, applied to the model; a replay's are the stored ones. */
  batch(
    clientId: string,
    batchId: string,
    operations: readonly WireOperation[],
  ): { verdicts: Verdict[]; replayed: boolean } {
    const stored = this.answers.get(`${clientId}/${batchId}`);
    if (stored) return { verdicts: stored, replayed: true };
    const verdicts = operations.map((operation) => this.operation(clientId, operation));
    this.answers.set(`${clientId}/${batchId}`, verdicts);
    return { verdicts, replayed: false };
  }

  /** A write by `clientId`: the row's next version, its run of writes going on or beginning. */
  private write(row: ModelRow, clientId: string, change: Values | null): number {
    row.version += 1;
    if (change) Object.assign(row.values, change);
    else row.deleted = true;
    if (row.writer !== clientId) row.writerFrom = row.version;
    row.writer = clientId;
    return row.version;
  }

  private operation(clientId: string, op: WireOperation): Verdict {
    const row = this.rows.get(ConflictReference.id(op.table, op.key));
    const policy = policyOf[op.table];
    if (!row || !policy || op.kind === "INSERT") {
      throw new Error(`the model expects no ${op.kind} of ${op.table} ${op.key}`);
    }
    const base = op.baseVersion ?? null;
    // Rule 1: stale when another writer wrote a version after the base; the client's own run
    // (begun at or before the version after its base) is no conflict. `none` checks nothing.
    const stale =
      base !== null &&
      policy !== "none" &&
      row.version > base &&
      !(row.writer === clientId && row.writerFrom <= base + 1);
    const verdict = (
      status: Verdict["status"],
      code: string | null,
      version: number | null,
      conflict: Verdict["conflict"],
    ): Verdict => ({ eventId: op.eventId, status, code, version, conflict });
    if (row.deleted) {
      // Rule 3: a change of a row another writer deleted; without a check, there is no row.
      return stale
        ? verdict("REJECTED", "CONFLICT", null, {
            serverVersion: row.version,
            serverRow: null,
            columns: [],
            resolution: "DELETED_REMOTELY",
          })
        : verdict("REJECTED", "NOT_FOUND", null, null);
    }
    const data = op.kind === "UPDATE" ? (op.data ?? {}) : null;
    if (!stale) return verdict("APPLIED", null, this.write(row, clientId, data), null);
    const serverVersion = row.version;
    // The sent columns another writer changed: their server value is no longer the base's.
    const sentBase = op.base ?? {};
    const columns = sorted(
      Object.keys(data ?? {}).filter(
        (column) => Object.hasOwn(sentBase, column) && sentBase[column] !== row.values[column],
      ),
    );
    const rejected = (): Verdict =>
      verdict("REJECTED", "CONFLICT", null, {
        serverVersion,
        serverRow: { ...row.values },
        columns,
        resolution: "SERVER_WON",
      });
    const written = (change: Values | null, resolution: "CLIENT_WON" | "MERGED"): Verdict => {
      const version = this.write(row, clientId, change);
      const serverRow = change ? { ...row.values } : null;
      return verdict("APPLIED", null, version, { serverVersion, serverRow, columns, resolution });
    };
    const won = data === null || columns.length > 0 ? "CLIENT_WON" : "MERGED";
    switch (policy) {
      case "serverWins":
        return rejected();
      case "mergeClient":
        return written(data, won);
      case "mergeServer": {
        if (data === null) return written(null, "CLIENT_WON");
        const kept = Object.fromEntries(
          Object.entries(data).filter(([column]) => !columns.includes(column)),
        );
        if (Object.keys(kept).length > 0) return written(kept, "MERGED");
        // The server kept every column: nothing written, the row stays at its version.
        return verdict("APPLIED", null, serverVersion, {
          serverVersion,
          serverRow: { ...row.values },
          columns,
          resolution: "SERVER_WON",
        });
      }
      case "custom": {
        if (data === null) return rejected();
        if (columns.includes("title")) {
          return written({ ...data, title: `${row.values.title}+${data.title}` }, "MERGED");
        }
        if (columns.includes("color")) return rejected();
        return written(data, won);
      }
    }
  }
}

/** JSON with every object's keys sorted: equal values give equal texts, whatever their order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
