import { LibsqlError } from "@libsql/core/api";
import Database from "libsql";

/** SQLite's errors as @libsql/client reports them, so callers see one kind of error. */
export function toLibsqlError(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const raw = (error as { rawCode?: number }).rawCode;
  const extended = (error as { code: string }).code;
  const base = extended.replace(/^(SQLITE_[A-Z]+)_[A-Z_]+$/, "$1");
  return new LibsqlError(error.message, base, extended, raw, error);
}
