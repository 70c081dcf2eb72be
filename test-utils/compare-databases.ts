import { exampleModel } from "../schema/index.ts";

type Rows = (sql: string) => Promise<Array<Record<string, unknown>>>;

/** Every synced table of both databases, row for row, ordered by key. */
export async function syncedRows(
  rows: Rows,
): Promise<Record<string, Array<Record<string, unknown>>>> {
  const result: Record<string, Array<Record<string, unknown>>> = {};
  for (const table of exampleModel.ordered) {
    const names = table.columns.map((c) => `"${c.name}"`).join(", ");
    result[table.name] = (
      await rows(`SELECT ${names} FROM "${table.name}" ORDER BY "${table.key.name}"`)
    ).map((row) => ({ ...row }));
  }
  return result;
}
