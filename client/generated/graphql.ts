/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** What a change does to the device's row. */
export type ChangeKind =
  /** The row is gone: deleted, or it left this device's read scopes. */
  | 'DELETE'
  /** The row as it is now: insert it, or replace the device's copy. */
  | 'UPSERT';

/** How a conflict was decided. */
export type ConflictResolution =
  /** The operation's values were written over the other writer's. */
  | 'CLIENT_WON'
  /** The row was deleted by another writer: the UPDATE was rejected. */
  | 'DELETED_REMOTELY'
  /** The operation's values were written where the other writer had not changed the column (or the policy merged them). */
  | 'MERGED'
  /** The server's row was kept: nothing of the operation was written. */
  | 'SERVER_WON';

/** What an outbox event does to its row. */
export type OperationKind =
  | 'DELETE'
  | 'INSERT'
  | 'UPDATE';

export type OperationStatus =
  | 'APPLIED'
  | 'REJECTED';

/** Why a device's copy is rebuilt from a full snapshot of its read scopes. */
export type ResetReason =
  /** The cursor is older than the oldest deletes the server still remembers. */
  | 'CURSOR_EXPIRED'
  /** The device's read scopes are not those its cursor was made for. */
  | 'SCOPE_CHANGED'
  /** The server's store was replaced or restored since the cursor was made. */
  | 'STORE_CHANGED';

/** One request of a device: a batch: a segment of its outbox, or a cut of one where it exceeds the request limits. */
export type SyncBatchInput = {
  /** The idempotency key of this request: the same id with the same operations is a replay. */
  batchId: string | number;
  /**
   * A per-client increasing number, from 1, that the device keeps durably with the batch: a retry of
   * the batch sends the same batchSeq (and batchId), a new batch a higher one, also after a restart.
   * The server keeps only each client's most recent stored answers (see syncLimits) and prunes older
   * ones by batchSeq: a batch at or below the client's pruned mark that has no stored answer is
   * refused whole with BATCH_EXPIRED (nothing applied), since the server can no longer tell whether
   * it was applied. A positive integer, else BAD_USER_INPUT.
   */
  batchSeq: number;
  /** The device's id; lives exactly as long as the device's database. */
  clientId: string | number;
  /** Applied in list order. */
  operations: Array<SyncOperationInput>;
};

/** Which changes a device asks for. */
export type SyncChangesInput = {
  /** The device's id (the one it sends batches with). */
  clientId: string | number;
  /** The cursor of the last page this device received; null: from the start. */
  cursor?: string | null | undefined;
  /** At most this many changes (1 or more; default and upper bound: syncLimits.maxChangesPerPage). */
  limit?: number | null | undefined;
};

/** One outbox event of the device, applied by the server in list order. */
export type SyncOperationInput = {
  /** UPDATE: the device's values of the changed columns before the change. SQL column names. */
  base?: unknown;
  /**
   * UPDATE and DELETE: the row's version on the device when the event was recorded (null: the device
   * never had a server version of it, e.g. its own unsent insert; no conflict is then looked for).
   */
  baseVersion?: number | null | undefined;
  /** INSERT: all columns but the key; UPDATE: the changed columns; DELETE: null. SQL column names. */
  data?: unknown;
  /** The device's id for the event; results refer to it. */
  eventId: string | number;
  /** The row's key as the device knows it (temporary keys of autonumbered tables are negative). */
  key: string | number;
  kind: OperationKind;
  /** SQL table name, e.g. `invoice_line`. */
  table: string;
};

export type SyncLimitsQueryVariables = Exact<{ [key: string]: never; }>;


export type SyncLimitsQuery = { syncLimits: { maxOperationsPerRequest: number, maxBodyBytes: number } };

export type SyncBatchMutationVariables = Exact<{
  input: SyncBatchInput;
}>;


export type SyncBatchMutation = { syncBatch: { batchId: string, replayed: boolean, results: Array<{ eventId: string, status: OperationStatus, version: number | null, error: { code: string, message: string } | null, conflict: { serverVersion: number, serverRow: unknown, columns: Array<string>, resolution: ConflictResolution } | null }>, keyMappings: Array<{ table: string, clientKey: string, serverKey: string }> } };

export type SyncChangesQueryVariables = Exact<{
  input: SyncChangesInput;
}>;


export type SyncChangesQuery = { syncChanges: { cursor: string, hasMore: boolean, snapshotStart: boolean, reset: ResetReason | null, changes: Array<{ table: string, key: string, kind: ChangeKind, version: number, data: unknown }> } };


export const SyncLimitsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SyncLimits"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"syncLimits"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"maxOperationsPerRequest"}},{"kind":"Field","name":{"kind":"Name","value":"maxBodyBytes"}}]}}]}}]} as unknown as DocumentNode<SyncLimitsQuery, SyncLimitsQueryVariables>;
export const SyncBatchDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SyncBatch"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SyncBatchInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"syncBatch"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"batchId"}},{"kind":"Field","name":{"kind":"Name","value":"replayed"}},{"kind":"Field","name":{"kind":"Name","value":"results"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"eventId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"conflict"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"serverVersion"}},{"kind":"Field","name":{"kind":"Name","value":"serverRow"}},{"kind":"Field","name":{"kind":"Name","value":"columns"}},{"kind":"Field","name":{"kind":"Name","value":"resolution"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"keyMappings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"table"}},{"kind":"Field","name":{"kind":"Name","value":"clientKey"}},{"kind":"Field","name":{"kind":"Name","value":"serverKey"}}]}}]}}]}}]} as unknown as DocumentNode<SyncBatchMutation, SyncBatchMutationVariables>;
export const SyncChangesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SyncChanges"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SyncChangesInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"syncChanges"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"changes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"table"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"data"}}]}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"hasMore"}},{"kind":"Field","name":{"kind":"Name","value":"snapshotStart"}},{"kind":"Field","name":{"kind":"Name","value":"reset"}}]}}]}}]} as unknown as DocumentNode<SyncChangesQuery, SyncChangesQueryVariables>;