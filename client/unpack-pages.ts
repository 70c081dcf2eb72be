import { multiRowStatements } from "../writer/multi-row-insert.ts";
import type { DeviceTransaction, SqlStatement, SqlValue } from "./device-database.ts";
import { dataOf, parseStagedPage, type StagedPage } from "./staged-page.ts";

/** How many changes one statement writes (6 values each). */
const changesPerStatement = 500;

/**
 * Reads the staged pages one at a time, in the order staged, through `each` (never all of them in
 * memory); stops early when `each` returns false. Returns whether every page was read.
 */
export async function eachStagedPage(
  tx: DeviceTransaction,
  each: (page: StagedPage) => Promise<boolean>,
): Promise<boolean> {
  let after = 0;
  for (;;) {
    const { rows } = await tx.execute({
      sql: "SELECT seq, changes FROM sync_receive_page WHERE seq > ? ORDER BY seq LIMIT 1",
      args: [after],
    });
    const row = rows[0];
    if (row === undefined) return true;
    after = Number(row[0]);
    if (!(await each(parseStagedPage(String(row[1]))))) return false;
  }
}

/**
 * Moves the staged pages into `sync_receive_stage`, one entry per row, in the caller's transaction:
 * pages in the order staged, a later change of a row replacing its entry (held or not), an older
 * one (a page seen twice) not. The pages are gone afterwards.
 */
export async function unpackPages(tx: DeviceTransaction): Promise<void> {
  await eachStagedPage(tx, async ({ shapes, changes }) => {
    const rows = changes.map((change): SqlValue[] => {
      const [table, columns] = shapes[change[0]] ?? ["", null];
      const data = columns === null ? null : JSON.stringify(dataOf(columns, change));
      return [table, change[1], columns === null ? "delete" : "upsert", change[2], data, 0];
    });
    const statements: SqlStatement[] = multiRowStatements(
      "INSERT INTO sync_receive_stage (table_name, row_key, kind, version, data, held)",
      6,
      rows,
      changesPerStatement,
    ).map((statement) => ({
      sql: `${statement.sql} ON CONFLICT (table_name, row_key) DO UPDATE SET kind = excluded.kind,
            version = excluded.version, data = excluded.data, held = 0
            WHERE excluded.version >= sync_receive_stage.version`,
      args: statement.args,
    }));
    await tx.batch(statements);
    return true;
  });
  await tx.execute("DELETE FROM sync_receive_page");
}
