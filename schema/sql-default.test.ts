import { sql } from "drizzle-orm";
import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { defineSyncModel } from "./define-sync-model.ts";

// What the model records of each kind of drizzle default: the server's INSERTs and syncModel
// both read it from ColumnInfo.sqlDefault.
const item = sqliteTable("item", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  count: integer("count").notNull().default(0),
  price: real("price").default(2.5),
  title: text("title").default("it's"),
  active: integer("active", { mode: "boolean" }).default(true),
  at: integer("at", { mode: "timestamp" }).default(new Date(86_400_000)),
  tags: text("tags", { mode: "json" }).default(["a"]),
  stamp: text("stamp").default(sql`CURRENT_TIMESTAMP`),
  made: text("made").$defaultFn(() => "x"),
  touched: text("touched").$onUpdateFn(() => "y"),
  none: text("none").default(null as unknown as string),
  plain: text("plain"),
});

describe("a column's SQL default in the model", () => {
  const info = defineSyncModel({ item }).byName.get("item");
  const of = (name: string) => info?.columnsByName.get(name);

  it("is a value, mapped as the column stores it, with its SQL literal", () => {
    expect(of("count")?.sqlDefault).toEqual({ kind: "value", value: 0, sql: "0" });
    expect(of("price")?.sqlDefault).toEqual({ kind: "value", value: 2.5, sql: "2.5" });
    expect(of("title")?.sqlDefault).toEqual({ kind: "value", value: "it's", sql: "'it''s'" });
    expect(of("active")?.sqlDefault).toEqual({ kind: "value", value: 1, sql: "1" });
    expect(of("at")?.sqlDefault).toEqual({ kind: "value", value: 86_400, sql: "86400" });
    expect(of("tags")?.sqlDefault).toEqual({ kind: "value", value: '["a"]', sql: `'["a"]'` });
    expect(of("count")?.hasDefault).toBe(true);
  });

  it("is an expression for an sql default, as drizzle-kit writes it", () => {
    expect(of("stamp")?.sqlDefault).toEqual({ kind: "expression", sql: "CURRENT_TIMESTAMP" });
    expect(of("stamp")?.hasDefault).toBe(true);
  });

  it("is none for $defaultFn, $onUpdateFn, .default(null), no default and the autonumber key", () => {
    for (const name of ["made", "touched", "none", "plain", "id"]) {
      expect(of(name)?.sqlDefault, name).toBeUndefined();
      expect(of(name)?.hasDefault, name).toBe(false);
    }
  });
});

describe("defineSyncModel refuses a default the server could not apply", () => {
  it("a literal that does not fit its column, naming the column", () => {
    const bad = sqliteTable("bad", {
      id: integer("id").primaryKey({ autoIncrement: true }),
      n: integer("n").default(1.5),
    });
    expect(() => defineSyncModel({ bad })).toThrow(
      "bad.n: its default number 1.5 is not a valid integer value",
    );
  });

  it("an sql default with bound parameters", () => {
    const bad = sqliteTable("bad", {
      id: integer("id").primaryKey({ autoIncrement: true }),
      t: text("t").default(sql`${"x"}`),
    });
    expect(() => defineSyncModel({ bad })).toThrow("bad.t: an sql default cannot have parameters");
  });
});
