export { type ApplyBatchOptions, applyBatch } from "./apply-batch.ts";
export type { AuthOptions, Identity } from "./authenticate.ts";
export type { BatchRetentionOptions, ResolvedBatchRetention } from "./batch-retention.ts";
export { createHttpServer, type HttpTimeouts } from "./create-http-server.ts";
export { defaultLimits, type SyncLimits } from "./limits.ts";
export { isPostgresUrl } from "./open-store.ts";
export type {
  BatchOutcome,
  ConflictInfo,
  ConflictResolution,
  KeyMapping,
  OperationKind,
  OperationVerdict,
  Rejection,
  RejectionCode,
  SyncOperation,
} from "./operation.ts";
export { rejectionCodes } from "./operation.ts";
export type { RateLimit, RateLimits } from "./rate-limits.ts";
export type { ScopeGrant, ScopeRequest, ScopesOf } from "./scope-grant.ts";
export { createSyncServer, type SyncServer } from "./server.ts";
export { createLibsqlStore, type LibsqlStoreOptions } from "./store/libsql-store.ts";
export { createPostgresStore, type PostgresStoreOptions } from "./store/postgres-store.ts";
export {
  type BatchRetention,
  ConstraintViolation,
  type Row,
  type SqlValue,
  type StoredBatch,
  type SyncStore,
  type SyncStoreTransaction,
  type TempKeyEntry,
} from "./store/sync-store.ts";
export type {
  RuleBatch,
  RuleOperation,
  RuleOutcome,
  RuleVerdict,
  SyncRules,
} from "./sync-rules.ts";
export type { SyncServerOptions } from "./sync-server-options.ts";
