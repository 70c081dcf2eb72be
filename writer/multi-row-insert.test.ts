import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { defineSyncModel } from "../schema/index.ts";
import { multiRowInserts } from "./multi-row-insert.ts";

const item = sqliteTable("item", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  stamp: text("stamp").default(sql`('now')`),
});
const table = defineSyncModel({ item }).byName.get("item");
if (!table) throw new Error("item is in the model");

describe("multiRowInserts", () => {
  it("writes whole rows as one statement naming every column", () => {
    expect(
      multiRowInserts(table, [
        [1, "a", "x"],
        [2, "b", null],
      ]),
    ).toEqual([
      {
        sql: 'INSERT INTO "item" ("id", "name", "stamp") VALUES (?, ?, ?), (?, ?, ?)',
        args: [1, "a", "x", 2, "b", null],
      },
    ]);
  });

  it("leaves a column out where a row's value is undefined, one statement per run of one shape, in row order", () => {
    const statements = multiRowInserts(table, [
      [1, "a", undefined],
      [2, "b", undefined],
      [3, "c", "given"],
      [4, "d", undefined],
    ]);
    expect(statements).toEqual([
      { sql: 'INSERT INTO "item" ("id", "name") VALUES (?, ?), (?, ?)', args: [1, "a", 2, "b"] },
      {
        sql: 'INSERT INTO "item" ("id", "name", "stamp") VALUES (?, ?, ?)',
        args: [3, "c", "given"],
      },
      { sql: 'INSERT INTO "item" ("id", "name") VALUES (?, ?)', args: [4, "d"] },
    ]);
  });

  it("lets SQLite apply the default of the columns left out", async () => {
    const db = createClient({ url: ":memory:" });
    await db.execute(
      "CREATE TABLE item (id integer PRIMARY KEY AUTOINCREMENT, name text NOT NULL, stamp text DEFAULT ('now'))",
    );
    for (const statement of multiRowInserts(table, [
      [1, "a", undefined],
      [2, "b", null],
    ])) {
      await db.execute(statement);
    }
    const { rows } = await db.execute("SELECT name, stamp FROM item ORDER BY id");
    expect(rows.map((row) => [row.name, row.stamp])).toEqual([
      ["a", "now"],
      ["b", null],
    ]);
    db.close();
  });
});
