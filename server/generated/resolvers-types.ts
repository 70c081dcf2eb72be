import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { TableInfo } from '../../schema/index.ts';
import type { SyncContext } from '../sync-context.ts';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** Any JSON value. Used for the columns of a row (SQL column names as keys). */
  JSON: { input: unknown; output: unknown; }
};

/** What a change does to the device's row. */
export type ChangeKind =
  /** The row is gone: deleted, or it left this device's read scopes. */
  | 'DELETE'
  /** The row as it is now: insert it, or replace the device's copy. */
  | 'UPSERT';

/** Another writer changed the row since the operation's baseVersion, and what was decided. */
export type ConflictInfo = {
  __typename?: 'ConflictInfo';
  /** The operation's columns that another writer changed since its base (their values differ from base). */
  columns: Array<Scalars['String']['output']>;
  resolution: ConflictResolution;
  /** The server's row as it stands after the verdict, every column but the key (null if deleted). */
  serverRow: Maybe<Scalars['JSON']['output']>;
  /** The row's version before this operation. */
  serverVersion: Scalars['Int']['output'];
};

/** A table's conflict policy. */
export type ConflictPolicy = {
  __typename?: 'ConflictPolicy';
  /** MERGE_COLUMNS: who wins a column both sides changed: CLIENT or SERVER. */
  columnWinner: Maybe<Scalars['String']['output']>;
  kind: ConflictPolicyKind;
};

/** What the server does when devices change the same row concurrently. */
export type ConflictPolicyKind =
  /** A server function decides. */
  | 'CUSTOM'
  /** The operation's columns are written; a column another writer also changed goes to the table's winner. */
  | 'MERGE_COLUMNS'
  /** No check (append-only tables). */
  | 'NONE'
  /** A stale UPDATE is rejected (CONFLICT) with the server's row. */
  | 'SERVER_WINS';

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

/** How a table's key is made. */
export type KeyKind =
  /** The server numbers the rows; devices use negative temporary keys. */
  | 'AUTONUMBER'
  /** The device makes the key (a text UUID); it passes through unmapped. */
  | 'CLIENT';

/** The row the device calls `clientKey` in `table` is `serverKey` on the server. */
export type KeyMapping = {
  __typename?: 'KeyMapping';
  clientKey: Scalars['ID']['output'];
  serverKey: Scalars['ID']['output'];
  table: Scalars['String']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Applies the operations in order in one transaction, with a verdict per operation, and answers
   * with the key mappings of autonumbered inserts. Repeating a request returns the stored answer.
   * Whole-request errors carry extensions.code: BAD_USER_INPUT, BATCH_TOO_LARGE, BATCH_ID_REUSED
   * (the batch id was applied with other operations), BATCH_EXPIRED (the batchSeq is at or below the
   * client's pruned mark and no answer is stored: nothing applied; see SyncBatchInput.batchSeq),
   * RATE_LIMITED, FORBIDDEN, UNAUTHENTICATED.
   */
  syncBatch: SyncBatchResult;
};


export type MutationSyncBatchArgs = {
  input: SyncBatchInput;
};

/** Why an operation was rejected. */
export type OperationError = {
  __typename?: 'OperationError';
  /**
   * One of UNKNOWN_TABLE, UNKNOWN_COLUMN, INVALID_VALUE, NOT_FOUND, CONSTRAINT_VIOLATION,
   * UNKNOWN_TEMP_KEY, DEPENDENCY_REJECTED, CONFLICT (the table's conflict policy kept the server's
   * row: see the result's conflict), RULE_VIOLATION (a server rule refused it; a rule may name its
   * own code).
   */
  code: Scalars['String']['output'];
  /** What was wrong and where, for a person to act on. */
  message: Scalars['String']['output'];
};

/** What an outbox event does to its row. */
export type OperationKind =
  | 'DELETE'
  | 'INSERT'
  | 'UPDATE';

/** The verdict on one operation. */
export type OperationResult = {
  __typename?: 'OperationResult';
  /**
   * Set whenever another writer (another client, or the server side) changed the row since the
   * operation's baseVersion, whatever the verdict.
   */
  conflict: Maybe<ConflictInfo>;
  /** Set when REJECTED. */
  error: Maybe<OperationError>;
  eventId: Scalars['ID']['output'];
  status: OperationStatus;
  /**
   * APPLIED: the row's version after this write (1 for an insert, one more for every applied write
   * since). Null when REJECTED. The device keeps it, so that its own write coming back through
   * syncChanges changes nothing.
   */
  version: Maybe<Scalars['Int']['output']>;
};

export type OperationStatus =
  | 'APPLIED'
  | 'REJECTED';

export type Query = {
  __typename?: 'Query';
  /**
   * The changes of the rows in this device's read scopes since its cursor: every row once, at its
   * latest change. INVALID_CURSOR (the whole request) for a cursor that is garbled, forged, or made
   * for another clientId.
   */
  syncChanges: SyncChangesResult;
  /** The server's limits. */
  syncLimits: SyncLimits;
  /** The synced model: tables, columns, key kinds and references. */
  syncModel: Array<SyncTable>;
};


export type QuerySyncChangesArgs = {
  input: SyncChangesInput;
};

/** Why a device's copy is rebuilt from a full snapshot of its read scopes. */
export type ResetReason =
  /** The cursor is older than the oldest deletes the server still remembers. */
  | 'CURSOR_EXPIRED'
  /** The device's read scopes are not those its cursor was made for. */
  | 'SCOPE_CHANGED'
  /** The server's store was replaced or restored since the cursor was made. */
  | 'STORE_CHANGED';

/** A row at its latest change. */
export type RowChange = {
  __typename?: 'RowChange';
  /** UPSERT: every column but the key, SQL column names; DELETE: null. */
  data: Maybe<Scalars['JSON']['output']>;
  /** The row's server key (or the key the device made); never a temporary key. */
  key: Scalars['ID']['output'];
  kind: ChangeKind;
  /** SQL table name. */
  table: Scalars['String']['output'];
  /** The row's version after this change. */
  version: Scalars['Int']['output'];
};

/** One request of a device: a batch: a segment of its outbox, or a cut of one where it exceeds the request limits. */
export type SyncBatchInput = {
  /** The idempotency key of this request: the same id with the same operations is a replay. */
  batchId: Scalars['ID']['input'];
  /**
   * A per-client increasing number, from 1, that the device keeps durably with the batch: a retry of
   * the batch sends the same batchSeq (and batchId), a new batch a higher one, also after a restart.
   * The server keeps only each client's most recent stored answers (see syncLimits) and prunes older
   * ones by batchSeq: a batch at or below the client's pruned mark that has no stored answer is
   * refused whole with BATCH_EXPIRED (nothing applied), since the server can no longer tell whether
   * it was applied. A positive integer, else BAD_USER_INPUT.
   */
  batchSeq: Scalars['Int']['input'];
  /** The device's id; lives exactly as long as the device's database. */
  clientId: Scalars['ID']['input'];
  /** Applied in list order. */
  operations: Array<SyncOperationInput>;
};

/** The answer to one syncBatch request. */
export type SyncBatchResult = {
  __typename?: 'SyncBatchResult';
  batchId: Scalars['ID']['output'];
  /** One per applied INSERT into an autonumbered table. */
  keyMappings: Array<KeyMapping>;
  /** True when this batch id was already applied and this is the stored answer. */
  replayed: Scalars['Boolean']['output'];
  /** One per operation, in the order of the request. */
  results: Array<OperationResult>;
};

/** Which changes a device asks for. */
export type SyncChangesInput = {
  /** The device's id (the one it sends batches with). */
  clientId: Scalars['ID']['input'];
  /** The cursor of the last page this device received; null: from the start. */
  cursor?: InputMaybe<Scalars['String']['input']>;
  /** At most this many changes (1 or more; default and upper bound: syncLimits.maxChangesPerPage). */
  limit?: InputMaybe<Scalars['Int']['input']>;
};

/** One page of changes, in change-sequence (commit) order. */
export type SyncChangesResult = {
  __typename?: 'SyncChangesResult';
  changes: Array<RowChange>;
  /** Opaque, signed by the server and bound to this clientId: pass it to ask for the next page. */
  cursor: Scalars['String']['output'];
  /** False: this page reached the newest change. */
  hasMore: Scalars['Boolean']['output'];
  /**
   * Set on every page of a snapshot: the pages hold every row of the device's read scopes, and once
   * the page with hasMore false is received, the device drops the rows it holds that the snapshot did
   * not contain (and that it has no unsent writes for).
   */
  reset: Maybe<ResetReason>;
  /**
   * True on the first page of a snapshot (a first receive from a null cursor, or a reset): pages the
   * device staged before it, of an earlier run or of an interrupted snapshot, are superseded.
   */
  snapshotStart: Scalars['Boolean']['output'];
};

/** A column of a synced table. */
export type SyncColumn = {
  __typename?: 'SyncColumn';
  /**
   * The column's SQL default as SQL text, as in the table's DDL: a literal (`0`, `'open'`) or an
   * expression (`CURRENT_TIMESTAMP`). An INSERT may leave a column with a default out of `data`: the
   * server applies the default. Null when the column has none: an INSERT that leaves it out stores
   * NULL, and is rejected (CONSTRAINT_VIOLATION) when the column is NOT NULL. A default that the
   * app's code computes (drizzle's `$defaultFn`) is not an SQL default: it shows as null here.
   */
  default: Maybe<Scalars['String']['output']>;
  /** Whether the column is the table's key (it travels in `key`, never in `data`). */
  isKey: Scalars['Boolean']['output'];
  /** SQL column name, as used in `data`. */
  name: Scalars['String']['output'];
  notNull: Scalars['Boolean']['output'];
  /** The table this column references, if it is a foreign key. */
  references: Maybe<Scalars['String']['output']>;
  /** SQL type: integer, real or text. */
  type: Scalars['String']['output'];
};

/** The limits the server enforces on a request. */
export type SyncLimits = {
  __typename?: 'SyncLimits';
  /**
   * A stored syncBatch answer (what a replay of the batch gets) is kept at least this long, in
   * seconds; older ones go once the client has storedBatchesPerClient newer ones.
   */
  batchRetentionSeconds: Scalars['Int']['output'];
  /** At most this many bytes of request body (more: HTTP 413). */
  maxBodyBytes: Scalars['Int']['output'];
  /** At most this many changes per syncChanges page (a larger limit is clamped to it). */
  maxChangesPerPage: Scalars['Int']['output'];
  /** At most this many operations per syncBatch request (more: BATCH_TOO_LARGE). */
  maxOperationsPerRequest: Scalars['Int']['output'];
  /**
   * Each client's this many stored answers of highest batchSeq are kept, however old. A batch whose
   * answer was pruned is refused with BATCH_EXPIRED if sent again.
   */
  storedBatchesPerClient: Scalars['Int']['output'];
  /**
   * Deleted rows are remembered (as tombstones) at least this long; a device that has not received
   * for longer gets a reset (CURSOR_EXPIRED) instead of the deletes it missed.
   */
  tombstoneRetentionSeconds: Scalars['Int']['output'];
};

/** One outbox event of the device, applied by the server in list order. */
export type SyncOperationInput = {
  /** UPDATE: the device's values of the changed columns before the change. SQL column names. */
  base?: InputMaybe<Scalars['JSON']['input']>;
  /**
   * UPDATE and DELETE: the row's version on the device when the event was recorded (null: the device
   * never had a server version of it, e.g. its own unsent insert; no conflict is then looked for).
   */
  baseVersion?: InputMaybe<Scalars['Int']['input']>;
  /** INSERT: all columns but the key; UPDATE: the changed columns; DELETE: null. SQL column names. */
  data?: InputMaybe<Scalars['JSON']['input']>;
  /** The device's id for the event; results refer to it. */
  eventId: Scalars['ID']['input'];
  /** The row's key as the device knows it (temporary keys of autonumbered tables are negative). */
  key: Scalars['ID']['input'];
  kind: OperationKind;
  /** SQL table name, e.g. `invoice_line`. */
  table: Scalars['String']['input'];
};

/** A table the server syncs. */
export type SyncTable = {
  __typename?: 'SyncTable';
  columns: Array<SyncColumn>;
  /** How concurrent changes of a row are decided. */
  conflictPolicy: ConflictPolicy;
  keyColumn: Scalars['String']['output'];
  keyKind: KeyKind;
  name: Scalars['String']['output'];
};



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  ChangeKind: ChangeKind;
  ConflictInfo: ResolverTypeWrapper<ConflictInfo>;
  ConflictPolicy: ResolverTypeWrapper<ConflictPolicy>;
  ConflictPolicyKind: ConflictPolicyKind;
  ConflictResolution: ConflictResolution;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  JSON: ResolverTypeWrapper<Scalars['JSON']['output']>;
  KeyKind: KeyKind;
  KeyMapping: ResolverTypeWrapper<KeyMapping>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  OperationError: ResolverTypeWrapper<OperationError>;
  OperationKind: OperationKind;
  OperationResult: ResolverTypeWrapper<OperationResult>;
  OperationStatus: OperationStatus;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  ResetReason: ResetReason;
  RowChange: ResolverTypeWrapper<RowChange>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  SyncBatchInput: SyncBatchInput;
  SyncBatchResult: ResolverTypeWrapper<SyncBatchResult>;
  SyncChangesInput: SyncChangesInput;
  SyncChangesResult: ResolverTypeWrapper<SyncChangesResult>;
  SyncColumn: ResolverTypeWrapper<SyncColumn>;
  SyncLimits: ResolverTypeWrapper<SyncLimits>;
  SyncOperationInput: SyncOperationInput;
  SyncTable: ResolverTypeWrapper<TableInfo>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Boolean: Scalars['Boolean']['output'];
  ConflictInfo: ConflictInfo;
  ConflictPolicy: ConflictPolicy;
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  JSON: Scalars['JSON']['output'];
  KeyMapping: KeyMapping;
  Mutation: Record<PropertyKey, never>;
  OperationError: OperationError;
  OperationResult: OperationResult;
  Query: Record<PropertyKey, never>;
  RowChange: RowChange;
  String: Scalars['String']['output'];
  SyncBatchInput: SyncBatchInput;
  SyncBatchResult: SyncBatchResult;
  SyncChangesInput: SyncChangesInput;
  SyncChangesResult: SyncChangesResult;
  SyncColumn: SyncColumn;
  SyncLimits: SyncLimits;
  SyncOperationInput: SyncOperationInput;
  SyncTable: TableInfo;
};

export type ConflictInfoResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['ConflictInfo'] = ResolversParentTypes['ConflictInfo']> = {
  columns?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  resolution?: Resolver<ResolversTypes['ConflictResolution'], ParentType, ContextType>;
  serverRow?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  serverVersion?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type ConflictPolicyResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['ConflictPolicy'] = ResolversParentTypes['ConflictPolicy']> = {
  columnWinner?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['ConflictPolicyKind'], ParentType, ContextType>;
};

export interface JsonScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['JSON'], any> {
  name: 'JSON';
}

export type KeyMappingResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['KeyMapping'] = ResolversParentTypes['KeyMapping']> = {
  clientKey?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  serverKey?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  table?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  syncBatch?: Resolver<ResolversTypes['SyncBatchResult'], ParentType, ContextType, RequireFields<MutationSyncBatchArgs, 'input'>>;
};

export type OperationErrorResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['OperationError'] = ResolversParentTypes['OperationError']> = {
  code?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  message?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type OperationResultResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['OperationResult'] = ResolversParentTypes['OperationResult']> = {
  conflict?: Resolver<Maybe<ResolversTypes['ConflictInfo']>, ParentType, ContextType>;
  error?: Resolver<Maybe<ResolversTypes['OperationError']>, ParentType, ContextType>;
  eventId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['OperationStatus'], ParentType, ContextType>;
  version?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
};

export type QueryResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  syncChanges?: Resolver<ResolversTypes['SyncChangesResult'], ParentType, ContextType, RequireFields<QuerySyncChangesArgs, 'input'>>;
  syncLimits?: Resolver<ResolversTypes['SyncLimits'], ParentType, ContextType>;
  syncModel?: Resolver<Array<ResolversTypes['SyncTable']>, ParentType, ContextType>;
};

export type RowChangeResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['RowChange'] = ResolversParentTypes['RowChange']> = {
  data?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  key?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['ChangeKind'], ParentType, ContextType>;
  table?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type SyncBatchResultResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['SyncBatchResult'] = ResolversParentTypes['SyncBatchResult']> = {
  batchId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  keyMappings?: Resolver<Array<ResolversTypes['KeyMapping']>, ParentType, ContextType>;
  replayed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  results?: Resolver<Array<ResolversTypes['OperationResult']>, ParentType, ContextType>;
};

export type SyncChangesResultResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['SyncChangesResult'] = ResolversParentTypes['SyncChangesResult']> = {
  changes?: Resolver<Array<ResolversTypes['RowChange']>, ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  hasMore?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  reset?: Resolver<Maybe<ResolversTypes['ResetReason']>, ParentType, ContextType>;
  snapshotStart?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type SyncColumnResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['SyncColumn'] = ResolversParentTypes['SyncColumn']> = {
  default?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  isKey?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  notNull?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  references?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  type?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type SyncLimitsResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['SyncLimits'] = ResolversParentTypes['SyncLimits']> = {
  batchRetentionSeconds?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  maxBodyBytes?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  maxChangesPerPage?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  maxOperationsPerRequest?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  storedBatchesPerClient?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  tombstoneRetentionSeconds?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type SyncTableResolvers<ContextType = SyncContext, ParentType extends ResolversParentTypes['SyncTable'] = ResolversParentTypes['SyncTable']> = {
  columns?: Resolver<Array<ResolversTypes['SyncColumn']>, ParentType, ContextType>;
  conflictPolicy?: Resolver<ResolversTypes['ConflictPolicy'], ParentType, ContextType>;
  keyColumn?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  keyKind?: Resolver<ResolversTypes['KeyKind'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type Resolvers<ContextType = SyncContext> = {
  ConflictInfo?: ConflictInfoResolvers<ContextType>;
  ConflictPolicy?: ConflictPolicyResolvers<ContextType>;
  JSON?: GraphQLScalarType;
  KeyMapping?: KeyMappingResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  OperationError?: OperationErrorResolvers<ContextType>;
  OperationResult?: OperationResultResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  RowChange?: RowChangeResolvers<ContextType>;
  SyncBatchResult?: SyncBatchResultResolvers<ContextType>;
  SyncChangesResult?: SyncChangesResultResolvers<ContextType>;
  SyncColumn?: SyncColumnResolvers<ContextType>;
  SyncLimits?: SyncLimitsResolvers<ContextType>;
  SyncTable?: SyncTableResolvers<ContextType>;
};

