import { sql } from "drizzle-orm";
import { getTableConfig, PgDialect, type PgTable } from "drizzle-orm/pg-core";
import {
  blob,
  foreignKey,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as serverTables from "../server/store/pg-tables.ts";
import { toPgTables } from "./to-pg-tables.ts";

const dialect = new PgDialect();

const parent = sqliteTable("parent", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().default("nobody"),
  score: real("score").default(1.5),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  picture: blob("picture"),
  createdAt: text("created_at").notNull().default(sql`(CURRENT_TIMESTAMP)`),
});

const child = sqliteTable(
  "child",
  {
    parentId: integer("parent_id")
      .notNull()
      .references(() => parent.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    previous: integer("previous"),
    label: text("label").unique("child_label_unique"),
  },
  (table) => [
    primaryKey({ columns: [table.parentId, table.position] }),
    foreignKey({
      name: "child_previous_fk",
      columns: [table.parentId, table.previous],
      foreignColumns: [table.parentId, table.position],
    }),
    uniqueIndex("child_label_position").on(table.label, table.position),
    index("child_previous").on(table.previous).where(sql`${table.previous} IS NOT NULL`),
  ],
);

/** Each column as `name type [not null] [pk] [default …]`. */
function describeColumns(table: PgTable): string[] {
  return getTableConfig(table).columns.map((column) => {
    const given: unknown = column.default;
    const shown =
      given === undefined
        ? ""
        : ` default ${typeof given === "object" && given !== null ? dialect.sqlToQuery(sql`${given}`).sql : JSON.stringify(given)}`;
    return `${column.name} ${column.getSQLType()}${column.notNull ? " not null" : ""}${column.primary ? " pk" : ""}${shown}`;
  });
}

describe("toPgTables", () => {
  // `child` comes first: a foreign key may point to a table converted later.
  const pg = toPgTables({ child, parent });

  it("maps the types, NOT NULLs, literal defaults and a plain bigint key (no identity)", () => {
    expect(getTableConfig(pg.parent).name).toBe("parent");
    expect(describeColumns(pg.parent)).toEqual([
      "id bigint not null pk",
      'name text not null default "nobody"',
      "score double precision default 1.5",
      "active bigint not null default 1",
      "picture bytea",
      "created_at text not null default to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
    ]);
    const id = getTableConfig(pg.parent).columns[0];
    expect(id?.generatedIdentity).toBeUndefined();
    expect(pg.parent.id.name).toBe("id");
  });

  it("keeps composite primary keys, unique constraints and indexes, with their names", () => {
    const config = getTableConfig(pg.child);
    expect(config.primaryKeys.map((key) => key.getName())).toEqual(["child_parent_id_position_pk"]);
    expect(config.primaryKeys[0]?.columns.map((column) => column.name)).toEqual([
      "parent_id",
      "position",
    ]);
    expect(config.columns.find((column) => column.name === "label")?.uniqueName).toBe(
      "child_label_unique",
    );
    expect(
      config.indexes.map((built) => ({
        name: built.config.name,
        unique: built.config.unique,
        where:
          built.config.where === undefined ? undefined : dialect.sqlToQuery(built.config.where).sql,
      })),
    ).toEqual([
      { name: "child_label_position", unique: true, where: undefined },
      { name: "child_previous", unique: false, where: '"child"."previous" IS NOT NULL' },
    ]);
  });

  it("points foreign keys at the converted tables, with their actions", () => {
    const keys = getTableConfig(pg.child).foreignKeys.map((key) => {
      const reference = key.reference();
      return {
        name: key.getName(),
        target: reference.foreignTable,
        columns: reference.foreignColumns.map((column) => column.name),
        onDelete: key.onDelete,
      };
    });
    // The column's own `.references()` come first, as drizzle lists them.
    expect(keys).toEqual([
      {
        name: "child_parent_id_parent_id_fk",
        target: pg.parent,
        columns: ["id"],
        onDelete: "cascade",
      },
      {
        name: "child_previous_fk",
        target: pg.child,
        columns: ["parent_id", "position"],
        onDelete: "no action",
      },
    ]);
  });

  it("overrides a column's type and default by table.column", () => {
    const tables = toPgTables(
      { parent },
      {
        columnTypes: { "parent.picture": "text" },
        defaults: { "parent.score": sql`(0.5 + 0.5)` },
      },
    );
    const columns = describeColumns(tables.parent);
    expect(columns).toContain("picture text");
    expect(columns).toContain("score double precision default (0.5 + 0.5)");
  });

  it("refuses an SQL default that is not portable, naming the column and the option", () => {
    const stamped = sqliteTable("stamped", {
      at: integer("at").notNull().default(sql`(unixepoch())`),
    });
    expect(() => toPgTables({ stamped })).toThrow(
      'stamped.at: its SQL default `(unixepoch())` is not portable to PostgreSQL; pass the PostgreSQL expression as options.defaults["stamped.at"]',
    );
    const fixed = toPgTables(
      { stamped },
      { defaults: { "stamped.at": sql`(extract(epoch from now())::bigint)` } },
    );
    expect(describeColumns(fixed.stamped)).toEqual([
      "at bigint not null default (extract(epoch from now())::bigint)",
    ]);
  });

  it("refuses an option naming no column, and a foreign key to a table left out", () => {
    expect(() => toPgTables({ parent }, { columnTypes: { "parent.nope": "text" } })).toThrow(
      "options name no column: parent.nope",
    );
    const pgChild = toPgTables({ child }).child;
    // The foreign keys are read when drizzle first reads the table's extra config.
    expect(() => getTableConfig(pgChild)).toThrow("its foreign key to parent needs that table");
  });

  it("gives the server's row keys as text, and its key blocks table", () => {
    expect(describeColumns(serverTables.syncRow)).toContain("row_key text not null");
    expect(describeColumns(serverTables.syncScopeExit)).toContain("row_key text not null");
    expect(describeColumns(serverTables.syncWriterExit)).toContain("row_key text not null");
    expect(describeColumns(serverTables.syncKeyBlock)).toEqual([
      "table_name text not null pk",
      "next_key bigint not null",
    ]);
    expect(describeColumns(serverTables.syncBatch)).toContain(
      "batch_seq bigint not null default 0",
    );
  });
});
