import { isConstraintError } from "../../writer/index.ts";
import { ConstraintViolation } from "./sync-store.ts";

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
