/**
 * Whether a database error is a broken constraint (not null, unique, foreign key, check): its
 * `code` is SQLite's, `SQLITE_CONSTRAINT` or one of its extended codes, as @libsql/client, the file
 * writer and the device database all report it. The one test of it, on both sides.
 */
export function isConstraintError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT");
}
