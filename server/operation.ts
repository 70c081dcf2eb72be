import type { SqlValue } from "./store/sync-store.ts";

/** What an operation does to its row (the GraphQL `OperationKind`). */
export type OperationKind = "INSERT" | "UPDATE" | "DELETE";

/** One operation of a request, as the GraphQL input carries it. */
export interface SyncOperation {
  readonly eventId: string;
  readonly table: string;
  readonly kind: OperationKind;
  readonly key: string;
  readonly data?: unknown;
  /** UPDATE/DELETE: the row's version on the device when the event was recorded (null: none). */
  readonly baseVersion?: number | null;
  /** UPDATE: the device's values of the changed columns before the change. */
  readonly base?: unknown;
}

/** The codes of a rejected operation, part of the protocol. */
export const rejectionCodes = [
  "UNKNOWN_TABLE",
  "UNKNOWN_COLUMN",
  "INVALID_VALUE",
  "NOT_FOUND",
  "CONSTRAINT_VIOLATION",
  "UNKNOWN_TEMP_KEY",
  "DEPENDENCY_REJECTED",
  "CONFLICT",
  "RULE_VIOLATION",
] as const;
export type RejectionCode = (typeof rejectionCodes)[number];

/**
 * Why an operation cannot be applied: a code and a message a person can act on. A server rule may
 * name its own code (an app's code, in capitals); the product's own are {@link rejectionCodes}.
 */
export interface Rejection {
  readonly code: RejectionCode | (string & {});
  readonly message: string;
}

/** How a conflict was decided (the GraphQL `ConflictResolution`). */
export type ConflictResolution = "CLIENT_WON" | "MERGED" | "SERVER_WON" | "DELETED_REMOTELY";

/** Another writer changed the row since the operation's base (the GraphQL `ConflictInfo`). */
export interface ConflictInfo {
  /** The row's version before this operation. */
  readonly serverVersion: number;
  /** The server's row after the verdict, every column but the key; null when deleted. */
  readonly serverRow: Readonly<Record<string, SqlValue>> | null;
  /** The operation's columns another writer changed since its base. */
  readonly columns: string[];
  readonly resolution: ConflictResolution;
}

/** The verdict on one operation, in the shape of the GraphQL `OperationResult`. */
export type OperationVerdict =
  | {
      readonly eventId: string;
      readonly status: "APPLIED";
      readonly error: null;
      /** The row's version after the write; null for a repeat of an INSERT applied before. */
      readonly version: number | null;
      readonly conflict: ConflictInfo | null;
    }
  | {
      readonly eventId: string;
      readonly status: "REJECTED";
      readonly error: Rejection;
      readonly version: null;
      readonly conflict: ConflictInfo | null;
    };

/** "The row you call `clientKey` in `table` is `serverKey` here." */
export interface KeyMapping {
  readonly table: string;
  readonly clientKey: string;
  readonly serverKey: string;
}

/** What applying a request produced: a verdict per operation, in order, and the key mappings. */
export interface BatchOutcome {
  readonly results: OperationVerdict[];
  readonly keyMappings: KeyMapping[];
}

/** A reference to a row by a temporary key: `column` undefined means the operation's own key. */
export interface TempKeyRef {
  readonly table: string;
  readonly tempKey: number;
  readonly column: string | undefined;
}

/** An operation checked against the model, with its values converted to what is stored. */
export type PreparedOperation =
  | {
      readonly kind: "INSERT";
      /**
       * Values of the table's columns in `TableInfo.columns` order; the key slot is filled later.
       * `undefined`: the column is left out of the INSERT, so the database applies its SQL default.
       */
      readonly values: Array<SqlValue | undefined>;
      readonly refs: readonly TempKeyRef[];
    }
  | {
      readonly kind: "UPDATE";
      readonly changes: Array<[column: string, value: SqlValue]>;
      readonly refs: readonly TempKeyRef[];
    }
  | { readonly kind: "DELETE"; readonly refs: readonly TempKeyRef[] };
