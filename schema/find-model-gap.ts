import type { SyncModel } from "./define-sync-model.ts";

/**
 * The first table or column of `model` that a database lacks, as a sentence (`table "task" is
 * missing`, `task has no column "done"`), or undefined when it has them all. `columnsOf` gives
 * a table's column names, none when the table is missing. Both sides check this at start, so a
 * database the model's migrations never reached fails at once, not at the first write.
 */
export async function findModelGap(
  model: SyncModel,
  columnsOf: (table: string) => Promise<readonly string[]>,
): Promise<string | undefined> {
  for (const table of model.ordered) {
    const present = new Set(await columnsOf(table.name));
    if (present.size === 0) return `table "${table.name}" is missing`;
    const missing = table.columns.find((column) => !present.has(column.name));
    if (missing) return `${table.name} has no column "${missing.name}"`;
  }
  return undefined;
}
