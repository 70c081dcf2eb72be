/** A column value as the server's database holds it. */
export type ConflictValue = string | number | null;

/** A row's columns (SQL names, the key left out). */
export type ConflictRow = Readonly<Record<string, ConflictValue>>;

/** What a `custom` policy is given: a stale UPDATE or DELETE, inside the request's transaction. */
export interface CustomConflict {
  readonly table: string;
  /** The row's key as the server holds it, as text. */
  readonly key: string;
  readonly clientId: string;
  readonly kind: "UPDATE" | "DELETE";
  /** The row's version the device had when it made the change. */
  readonly baseVersion: number;
  /** UPDATE: the device's values of the changed columns before the change (null if it sent none). */
  readonly base: ConflictRow | null;
  /** UPDATE: the values the device wrote; DELETE: null. */
  readonly incoming: ConflictRow | null;
  /** The server's row now, and its version. */
  readonly serverRow: ConflictRow;
  readonly serverVersion: number;
  /** The operation's columns another writer changed since the base. */
  readonly columns: readonly string[];
}

/**
 * A `custom` policy's verdict: `accept` writes the operation as it came, `write` (UPDATE only)
 * writes these values instead (any of the table's columns but the key), `reject` refuses it with
 * CONFLICT and this message.
 */
export type CustomVerdict =
  | { readonly accept: true }
  | { readonly write: ConflictRow }
  | { readonly reject: string };

/** A `custom` policy: decides a stale UPDATE or DELETE. A function that throws fails the request. */
export type CustomResolver = (conflict: CustomConflict) => CustomVerdict | Promise<CustomVerdict>;

/**
 * How a table decides concurrent changes of a row, as a model declares it (SYNC.md, "Conflicts"):
 * - `mergeColumns` (the default): the operation's columns are written; a column another writer
 *   also changed since the base goes to `client` (the default) or `server`;
 * - `serverWins`: a stale UPDATE is rejected with CONFLICT and the server's row;
 * - `none`: no check (append-only tables);
 * - `{ custom }`: a server function decides.
 */
export type ConflictPolicyRule =
  | "mergeColumns"
  | { readonly mergeColumns: "client" | "server" }
  | "serverWins"
  | "none"
  | { readonly custom: CustomResolver };

/** A table's policy, resolved. */
export type ConflictPolicy =
  | { readonly kind: "mergeColumns"; readonly winner: "client" | "server" }
  | { readonly kind: "serverWins" }
  | { readonly kind: "none" }
  | { readonly kind: "custom"; readonly resolve: CustomResolver };

/** The default policy: merge the columns, the client's value winning a column both changed. */
export const defaultConflictPolicy: ConflictPolicy = { kind: "mergeColumns", winner: "client" };

/**
 * Resolves a table's declared rule; throws, naming the table, on anything else (the option is
 * the app's code, checked once when the model is defined).
 */
export function resolveConflictPolicy(table: string, rule: unknown): ConflictPolicy {
  if (rule === undefined || rule === "mergeColumns") return defaultConflictPolicy;
  if (rule === "serverWins" || rule === "none") return { kind: rule };
  if (typeof rule === "object" && rule !== null) {
    const entries = Object.entries(rule);
    const [name, value] = entries[0] ?? [];
    if (
      entries.length === 1 &&
      name === "mergeColumns" &&
      (value === "client" || value === "server")
    ) {
      return { kind: "mergeColumns", winner: value };
    }
    if (entries.length === 1 && name === "custom" && typeof value === "function") {
      return { kind: "custom", resolve: value as CustomResolver };
    }
  }
  throw new Error(
    `conflicts.${table} must be "mergeColumns", { mergeColumns: "client" | "server" }, "serverWins", "none" or { custom: function }, got ${describe(rule)}`,
  );
}

function describe(rule: unknown): string {
  if (typeof rule === "function") return "a function";
  try {
    return JSON.stringify(rule) ?? typeof rule;
  } catch {
    return typeof rule;
  }
}
