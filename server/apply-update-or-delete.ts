import type { ApplyContext } from "./apply-context.ts";
import { explainConstraintViolation, explainRejection } from "./explain-rejection.ts";
import type { Rejection } from "./operation.ts";
import type { Prepared } from "./prepare-operation.ts";
import { ConstraintViolation, type SqlValue } from "./store/sync-store.ts";

/**
 * Applies one UPDATE or DELETE and answers it: its key and the temporary keys among its values
 * replaced by server keys first (the first one that does not resolve rejects it), NOT_FOUND when
 * no row has the key, and a broken constraint explained.
 */
export async function applyUpdateOrDelete(
  context: ApplyContext,
  index: number,
  item: Prepared,
): Promise<void> {
  const { table, operation } = item;
  let key: SqlValue = item.key;
  const changes =
    operation.kind === "UPDATE"
      ? operation.changes.map(([c, v]): [string, SqlValue] => [c, v])
      : [];
  let refused: Rejection | undefined;
  for (const ref of operation.refs) {
    const serverKey = context.tempKeys.resolve(ref);
    if (typeof serverKey !== "number") refused ??= serverKey;
    else if (ref.column === undefined) key = serverKey;
    else for (const change of changes) if (change[0] === ref.column) change[1] = serverKey;
  }
  const rejected = async (rejection: Rejection): Promise<void> => {
    // The device made its write already: it gets the server's row back (a row named by a
    // temporary key that did not resolve has none).
    if (typeof key !== "number" || key > 0) await context.rowVersions.rejected(table, key);
    context.rejected(index, rejection);
  };
  if (refused) return rejected(refused);
  try {
    const found =
      operation.kind === "UPDATE"
        ? await context.tx.updateRow(table, key, changes)
        : await context.tx.deleteRow(table, key);
    if (found) {
      const { rowVersions } = context;
      const version =
        operation.kind === "UPDATE"
          ? await rowVersions.updated(table, key, changes)
          : await rowVersions.deleted(table, key);
      return context.applied(index, version);
    }
    // The device named the row by a temporary key: say which, as well as the server's key.
    const named = key === item.key ? "" : ` (the server key of temporary key ${item.key})`;
    const notFound: Rejection = {
      code: "NOT_FOUND",
      message: `${table.name} has no row with key ${String(key)}${named}`,
    };
    await rejected(await explainRejection(context, item, notFound));
  } catch (error) {
    if (!(error instanceof ConstraintViolation)) throw error;
    await rejected(await explainConstraintViolation(context, item, key, changes, error));
  }
}
