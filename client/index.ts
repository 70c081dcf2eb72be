export type { ConflictResolution, EventConflict } from "./answer-conflict.ts";
export type { AutoSync, AutoSyncOptions } from "./auto-sync.ts";
export type { GetToken } from "./bearer-token.ts";
export { createSyncClient, type SyncClient, type SyncReport } from "./client.ts";
export { createNodeFetch, type NodeFetch, type NodeFetchOptions } from "./create-node-fetch.ts";
export type { DeviceReads } from "./device-reads.ts";
export type { LocalWriter } from "./local-writer.ts";
export type { EventQuery, EventStatus, SyncEvent } from "./outbox-events.ts";
export type {
  ReceiveOptions,
  ReceiveProgress,
  ReceiveReport,
  ReceiveReset,
} from "./receive-report.ts";
export type { RetryOptions, SyncClientOptions } from "./resolve-options.ts";
export type { SendOptions, SendProgress, SendReport } from "./send.ts";
export {
  ReceiveError,
  SendError,
  SyncClientError,
  type SyncClientErrorCode,
  type SyncClientErrorDetails,
  syncClientErrorCodes,
} from "./sync-client-error.ts";
export type { SyncOptions } from "./sync-options.ts";
export type { InsertValues, KeyProperty, RowKey, UpdateValues } from "./typed-tables.ts";
