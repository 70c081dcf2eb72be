// The model is declared once, as drizzle `sqliteTable`s; the PostgreSQL tables follow from them
// here, read through drizzle's own table config (never from source text), so that a column added
// to the SQLite model cannot be forgotten on PostgreSQL: drizzle-kit migrates both from one source.
import { getTableColumns, is, SQL } from "drizzle-orm";
import {
  check,
  foreignKey,
  index,
  type PgColumn,
  type PgColumnBuilderBase,
  type PgTable,
  type PgTableExtraConfigValue,
  type PgTableWithColumns,
  pgTable,
  primaryKey,
  unique,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { pgColumnOf, type ToPgTablesOptions } from "./pg-column.ts";

export type { PgColumnType, ToPgTablesOptions } from "./pg-column.ts";

type TextTypes = "SQLiteText" | "SQLiteTextJson";
type NumberTypes = "SQLiteInteger" | "SQLiteTimestamp" | "SQLiteBoolean" | "SQLiteReal";
/** A value's JS type by SQLite column type; a blob's is unknown (it may be overridden, e.g. to text). */
type DataOf<T> = T extends TextTypes ? string : T extends NumberTypes ? number : unknown;

/** The PostgreSQL column of an SQLite column under the default mapping (type level). */
type PgColumnOf<C extends SQLiteColumn> = PgColumn<{
  name: C["_"]["name"];
  tableName: C["_"]["tableName"];
  dataType: C["_"]["columnType"] extends TextTypes
    ? "string"
    : C["_"]["columnType"] extends NumberTypes
      ? "number"
      : "custom";
  columnType: string;
  data: DataOf<C["_"]["columnType"]>;
  driverParam: unknown;
  notNull: C["_"]["notNull"];
  hasDefault: C["_"]["hasDefault"];
  isPrimaryKey: C["_"]["isPrimaryKey"];
  isAutoincrement: false;
  hasRuntimeDefault: C["_"]["hasRuntimeDefault"];
  enumValues: undefined;
}>;

/** The PostgreSQL table of an SQLite table: same name, same column keys. */
export type PgTableOf<T extends SQLiteTable> = PgTableWithColumns<{
  name: T["_"]["name"];
  schema: undefined;
  dialect: "pg";
  columns: {
    [K in keyof T["_"]["columns"]]: T["_"]["columns"][K] extends SQLiteColumn
      ? PgColumnOf<T["_"]["columns"][K]>
      : never;
  };
}>;
/** The columns of a PostgreSQL table that `list` names, in order (a constraint has at least one). */
function pick(
  columns: Record<string, PgColumn>,
  list: readonly { name: string }[],
  table: string,
): [PgColumn, ...PgColumn[]] {
  const byName = new Map(Object.values(columns).map((column) => [column.name, column]));
  const [first, ...rest] = list.map(({ name }) => {
    const found = byName.get(name);
    if (found === undefined) throw new Error(`${table}: no column ${name}`);
    return found;
  });
  if (first === undefined) throw new Error(`${table}: a constraint without columns`);
  return [first, ...rest];
}

/**
 * The PostgreSQL tables of a record of drizzle `sqliteTable`s (the model declared once), under the
 * same keys: the same table and column names, NOT NULLs, primary keys (single and composite),
 * unique constraints, unique and plain indexes (same names, partial ones keep their `where`),
 * checks, foreign keys (to the converted tables, so every referenced table must be in `tables`)
 * and SQL defaults. JS-side defaults (`$defaultFn`, `$onUpdateFn`) carry over too.
 *
 * Types: `integer` (any mode) → `bigint` (as a JS number), `text` → `text`, `real` → `double
 * precision`, `blob` → `bytea`; `options.columnTypes` overrides one column. An autoincrement
 * primary key becomes a plain `bigint` primary key, never an identity: the server hands out keys.
 * An `sql` default carries over only when portable (a literal, or SQLite's CURRENT_TIMESTAMP /
 * CURRENT_DATE / CURRENT_TIME on a text column, written so that PostgreSQL stores the same
 * text); any other throws, naming the column, unless `options.defaults` gives its PostgreSQL form.
 * Also throws on a column type with no mapping, a generated column, an index on an expression,
 * an option naming no column, or a foreign key to a table outside `tables`.
 */
export function toPgTables<T extends Record<string, SQLiteTable>>(
  tables: T,
  options: ToPgTablesOptions = {},
): { [K in keyof T]: PgTableOf<T[K]> } {
  const unused = new Set([
    ...Object.keys(options.columnTypes ?? {}),
    ...Object.keys(options.defaults ?? {}),
  ]);
  const converted = new Map<string, PgTable>();
  const result: Record<string, PgTable> = {};
  for (const [tableKey, table] of Object.entries(tables)) {
    const config = getTableConfig(table);
    const columns: Record<string, PgColumnBuilderBase> = {};
    for (const [key, column] of Object.entries(getTableColumns(table))) {
      unused.delete(`${config.name}.${column.name}`);
      columns[key] = pgColumnOf(column, `${config.name}.${column.name}`, options);
    }
    const expression = config.indexes.find((built) => built.config.columns.some((c) => is(c, SQL)));
    if (expression !== undefined) {
      throw new Error(
        `${config.name}: index ${expression.config.name} is on an expression; declare it on PostgreSQL yourself`,
      );
    }
    // The extra config runs when drizzle first reads it, after every table is converted: a
    // foreign key may point to a table later in `tables`, or to its own table.
    const extraConfig = (self: Record<string, PgColumn>): PgTableExtraConfigValue[] => {
      const own = (list: readonly { name: string }[]) => pick(self, list, config.name);
      const values: PgTableExtraConfigValue[] = [];
      for (const key of config.primaryKeys) {
        const named = key.name === undefined ? {} : { name: key.name };
        values.push(primaryKey({ columns: own(key.columns), ...named }));
      }
      for (const constraint of config.uniqueConstraints) {
        values.push(unique(constraint.name).on(...own(constraint.columns)));
      }
      for (const { config: built } of config.indexes) {
        const made = (built.unique ? uniqueIndex : index)(built.name).on(
          ...own(built.columns as SQLiteColumn[]),
        );
        values.push(built.where === undefined ? made : made.where(built.where));
      }
      for (const built of config.checks) values.push(check(built.name, built.value));
      for (const key of config.foreignKeys) {
        const reference = key.reference();
        const targetName = getTableConfig(reference.foreignTable).name;
        const target = converted.get(targetName);
        if (target === undefined) {
          throw new Error(
            `${config.name}: its foreign key to ${targetName} needs that table in tables too`,
          );
        }
        const targetColumns = getTableColumns(target) as Record<string, PgColumn>;
        const fk = foreignKey({
          columns: own(reference.columns),
          foreignColumns: pick(targetColumns, reference.foreignColumns, targetName),
          ...(reference.name === undefined ? {} : { name: reference.name }),
        });
        values.push(fk.onUpdate(key.onUpdate ?? "no action").onDelete(key.onDelete ?? "no action"));
      }
      return values;
    };
    const made = pgTable(config.name, columns, extraConfig);
    converted.set(config.name, made);
    result[tableKey] = made;
  }
  if (unused.size > 0) {
    throw new Error(`toPgTables: options name no column: ${[...unused].join(", ")}`);
  }
  // The tables are built from runtime config; their types follow from the SQLite tables' types.
  return result as unknown as { [K in keyof T]: PgTableOf<T[K]> };
}
