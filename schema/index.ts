export {
  type ColumnProblem,
  checkColumnValue,
  describeValue,
  maxClientKeyLength,
} from "./check-column-value.ts";
export {
  type ConflictPolicy,
  type ConflictPolicyRule,
  type ConflictRow,
  type ConflictValue,
  type CustomConflict,
  type CustomResolver,
  type CustomVerdict,
  defaultConflictPolicy,
} from "./conflict-policy.ts";
export {
  type ColumnInfo,
  type ColumnType,
  columnTypes,
  defineSyncModel,
  type KeyKind,
  type SyncModel,
  type SyncModelOptions,
  type TableInfo,
} from "./define-sync-model.ts";
export { type ExampleTables, exampleModel } from "./example-model.ts";
export { findModelGap } from "./find-model-gap.ts";
export { exampleMigrations } from "./generated/example-migrations.ts";
export { examplePgMigrations } from "./generated/example-pg-migrations.ts";
export { typeDefs } from "./generated/type-defs.ts";
export * as exampleTables from "./model.ts";
export { type ModelMigrationOptions, modelMigrations } from "./model-migrations.ts";
export type { SqlDefault } from "./sql-default.ts";
export { type ScopeRule, scopeValue, type TableScope } from "./table-scope.ts";
export {
  type PgColumnType,
  type PgTableOf,
  type ToPgTablesOptions,
  toPgTables,
} from "./to-pg-tables.ts";
