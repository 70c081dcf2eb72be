import { getTableConfig, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { type CustomResolver, defineSyncModel } from "../schema/index.ts";

/** A note table named `name`: an autonumbered key and three text columns. */
const noteTable = <TName extends string>(name: TName) =>
  sqliteTable(name, {
    id: integer("id").primaryKey({ autoIncrement: true }),
    title: text("title").notNull(),
    body: text("body").notNull().default(""),
    color: text("color").notNull().default("white"),
  });

/** One table per conflict policy, all alike: what the conflict tests write to. */
export const conflictTables = {
  merged: noteTable("merged"),
  serverMerged: noteTable("server_merged"),
  serverWins: noteTable("server_wins"),
  unchecked: noteTable("unchecked"),
  custom: noteTable("custom"),
};

/** The SQL of {@link conflictTables}. */
export const conflictTablesSql: readonly string[] = Object.values(conflictTables).map(
  (table) =>
    `CREATE TABLE ${getTableConfig(table).name} (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, title text NOT NULL, body text DEFAULT '' NOT NULL, color text DEFAULT 'white' NOT NULL)`,
);

/**
 * The model of {@link conflictTables}: `merged` the default policy (client wins a column both
 * changed), `server_merged` the server winning such columns, `server_wins`, `unchecked` (none),
 * and `custom` deciding through `decide` (the test sets it).
 */
export function conflictModel(decide: CustomResolver) {
  return defineSyncModel(conflictTables, {
    conflicts: {
      serverMerged: { mergeColumns: "server" },
      serverWins: "serverWins",
      unchecked: "none",
      custom: { custom: (conflict) => decide(conflict) },
    },
  });
}
