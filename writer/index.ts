export { isConstraintError } from "./constraint-error.ts";
export {
  createFileWriter,
  type FileWriter,
  type FileWriterOptions,
} from "./create-file-writer.ts";
export { createWriter, type Writer, type WriteTransaction } from "./create-writer.ts";
export {
  type FileConnection,
  type FileConnectionErrors,
  type FileConnectionOptions,
  type FileTransactionOptions,
  openFileConnection,
  type RawExecute,
  type RawResult,
} from "./file-connection.ts";
export { findKeyRuns, type KeyRunTable, type StatementRunner } from "./find-key-runs.ts";
export {
  addToKeyRuns,
  continuesKeyRun,
  type KeyRun,
  keyRunsJson,
  keyRunsOf,
  keyRunsSql,
  lastClientKey,
  serverKeyIn,
  serverKeyInRun,
} from "./key-runs.ts";
export { type MigrationStatement, migrationJournal } from "./migration-journal.ts";
export {
  type MultiRowInsertOptions,
  maxParametersPerStatement,
  multiRowInsertSql,
  multiRowInserts,
  multiRowStatements,
  rowsPerStatement,
} from "./multi-row-insert.ts";
export { quoteIdentifier } from "./quote-identifier.ts";
export { isRowIdentity, rowIdentity, rowIdentitySql, rowOfIdentity } from "./row-identity.ts";
