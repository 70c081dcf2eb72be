import { ConstraintViolation } from "./sync-store.ts";

/** Whether a libSQL error is a broken constraint (not null, unique, foreign key, check). */
export function isConstraintError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT");
}

/**
 * Runs one write and turns a broken constraint into a {@link ConstraintViolation}, whose message is
 * SQLite's own wording (it names the column, never the query). Every other error passes unchanged.
 */
export async function constraintsAsViolations<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isConstraintError(error)) throw error;
    throw new ConstraintViolation(error.message.replace(/^SQLITE_CONSTRAINT[A-Z_]*:\s*/, ""));
  }
}
