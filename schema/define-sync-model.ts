import { getTableColumns } from "drizzle-orm";
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  type ConflictPolicy,
  type ConflictPolicyRule,
  resolveConflictPolicy,
} from "./conflict-policy.ts";
import { resolveScopes, type UnscopedTable } from "./resolve-scopes.ts";
import { type SqlDefault, sqlDefaultOf } from "./sql-default.ts";
import type { ScopeRule, TableScope } from "./table-scope.ts";

/** The wire type of a column: what a value in `data` must be. */
export const columnTypes = ["integer", "real", "text"] as const;
export type ColumnType = (typeof columnTypes)[number];

/** How a table's key is made: numbered by the server, or made by the device (text UUID). */
export type KeyKind = "autonumber" | "client";

/** A column of a synced table, by its SQL name. */
export interface ColumnInfo {
  /** SQL column name: the name used on the wire and in the outbox. */
  readonly name: string;
  /** The property name in the drizzle table (camelCase). */
  readonly property: string;
  readonly type: ColumnType;
  readonly notNull: boolean;
  /**
   * True when the column has an SQL default ({@link sqlDefault}): an INSERT may leave it out,
   * even when it is NOT NULL. A JS-side `$defaultFn` is not one (the database never sees it).
   */
  readonly hasDefault: boolean;
  /** The SQL default the server applies to an INSERT that leaves the column out, if any. */
  readonly sqlDefault: SqlDefault | undefined;
  readonly isKey: boolean;
  /** SQL name of the referenced table when the column is a foreign key to its key. */
  readonly references: string | undefined;
  /** The drizzle column (its driver mapping and JS-side default). */
  readonly drizzle: SQLiteColumn;
}

/** A synced table, with everything the server and the client need to know about it. */
export interface TableInfo {
  readonly name: string;
  readonly keyKind: KeyKind;
  readonly key: ColumnInfo;
  /** Every column, the key first. */
  readonly columns: readonly ColumnInfo[];
  /** The columns other than the key, which travel in `data`. */
  readonly dataColumns: readonly ColumnInfo[];
  readonly columnsByName: ReadonlyMap<string, ColumnInfo>;
  /** Foreign-key columns (each references another synced table's key). */
  readonly references: readonly ColumnInfo[];
  /** How the table's rows get their scope (`global` when the model gives it no rule). */
  readonly scope: TableScope;
  /** How concurrent changes of a row are decided (`mergeColumns`, client wins, by default). */
  readonly conflicts: ConflictPolicy;
  readonly drizzle: SQLiteTable;
}

/** What a model may declare besides its tables. */
export interface SyncModelOptions<
  TTables extends Record<string, SQLiteTable> = Record<string, SQLiteTable>,
> {
  /**
   * How each table's rows get their scope, by the table's property name in `tables`; a table
   * without a rule is global (every device reads it). Column names are SQL names.
   */
  readonly scopes?: { readonly [K in keyof TTables]?: ScopeRule };
  /**
   * How each table decides concurrent changes of a row, by the table's property name in
   * `tables` (default: `mergeColumns`, the client's value winning a column both sides changed).
   */
  readonly conflicts?: { readonly [K in keyof TTables]?: ConflictPolicyRule };
}

/**
 * A synced model: drizzle tables (by property name) plus the metadata derived from them.
 * Invariant: every table has a single-column key that is either an integer autoincrement key
 * (autonumber) or a text key (made by the device), and every foreign key points at the key of
 * another table of the same model.
 */
export interface SyncModel<
  TTables extends Record<string, SQLiteTable> = Record<string, SQLiteTable>,
> {
  readonly tables: TTables;
  readonly byName: ReadonlyMap<string, TableInfo>;
  /** The tables in an order where every referenced table comes before the tables that reference it. */
  readonly ordered: readonly TableInfo[];
  /** True when any table is not global, i.e. the model has scope rules. */
  readonly scoped: boolean;
}

function sqlType(column: SQLiteColumn, where: string): ColumnType {
  const type = column.getSQLType().toLowerCase();
  if (type.startsWith("int")) return "integer";
  if (type === "real" || type.startsWith("double") || type.startsWith("float")) return "real";
  if (type.startsWith("text") || type.startsWith("varchar") || type.startsWith("char"))
    return "text";
  throw new Error(`${where}: SQL type "${type}" cannot be synced (use integer, real or text)`);
}

function describeTable(table: SQLiteTable): UnscopedTable {
  const config = getTableConfig(table);
  const propertyOf = new Map<SQLiteColumn, string>(
    Object.entries(getTableColumns(table)).map(([property, column]) => [column, property]),
  );
  const references = new Map<string, string>();
  for (const fk of config.foreignKeys) {
    const ref = fk.reference();
    const [column] = ref.columns;
    const [foreign] = ref.foreignColumns;
    if (ref.columns.length !== 1 || !column || !foreign || !foreign.primary) {
      throw new Error(
        `${config.name}: only single-column foreign keys to a table's key can be synced`,
      );
    }
    references.set(column.name, getTableConfig(ref.foreignTable).name);
  }
  const keys = config.columns.filter((column) => column.primary);
  const [keyColumn] = keys;
  if (keys.length !== 1 || !keyColumn || config.primaryKeys.length > 0) {
    throw new Error(`${config.name}: a synced table needs exactly one primary-key column`);
  }
  const columns = config.columns.map((column): ColumnInfo => {
    const where = `${config.name}.${column.name}`;
    const type = sqlType(column, where);
    // drizzle's own hasDefault also counts $defaultFn and an autoincrement key, which the
    // database does not fill from a DEFAULT clause.
    const sqlDefault = column === keyColumn ? undefined : sqlDefaultOf(column, type, where);
    return {
      name: column.name,
      property: propertyOf.get(column) ?? column.name,
      type,
      notNull: column.notNull,
      hasDefault: sqlDefault !== undefined,
      sqlDefault,
      isKey: column === keyColumn,
      references: references.get(column.name),
      drizzle: column,
    };
  });
  const key = columns.find((column) => column.isKey);
  if (!key) throw new Error(`${config.name}: key column not found`);
  const autonumber = "autoIncrement" in keyColumn && keyColumn.autoIncrement === true;
  if (!autonumber && key.type !== "text") {
    throw new Error(
      `${config.name}: the key must be an integer with autoIncrement (autonumber) or text (UUID)`,
    );
  }
  return {
    name: config.name,
    keyKind: autonumber ? "autonumber" : "client",
    key,
    columns: [key, ...columns.filter((column) => !column.isKey)],
    dataColumns: columns.filter((column) => !column.isKey),
    columnsByName: new Map(columns.map((column) => [column.name, column])),
    references: columns.filter((column) => column.references !== undefined),
    drizzle: table,
  };
}

/**
 * Orders tables so that every referenced table comes first. A `parent` scope follows a foreign
 * key to a scoped table, and no reference cycle holds a scoped table (a global table cannot
 * reference a scoped one, and scoped ones inherit along a chain without cycles), so parents
 * always come before the tables that inherit their scope.
 */
function orderByReferences(tables: readonly TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((table) => [table.name, table]));
  const ordered: TableInfo[] = [];
  const visiting = new Set<string>();
  const visit = (table: TableInfo): void => {
    if (ordered.includes(table) || visiting.has(table.name)) return;
    visiting.add(table.name);
    for (const column of table.references) {
      const target = byName.get(column.references ?? "");
      if (target && target !== table) visit(target);
    }
    ordered.push(table);
  };
  for (const table of tables) visit(table);
  return ordered;
}

/**
 * Derives the sync metadata of a set of drizzle tables. Throws, naming the table, when a table
 * cannot be synced (no single key, a key that is neither autonumber nor text, an unsupported
 * column type, a literal default that does not fit its column, an `sql` default with bound
 * parameters, or a reference to a table outside the model), and when `options.scopes` is not a
 * valid set of scope rules (see {@link resolveScopes}: in short, a device must never be able to
 * read a child row but not its parent), or `options.conflicts` names a table the model lacks or a
 * policy that is not one.
 */
export function defineSyncModel<TTables extends Record<string, SQLiteTable>>(
  tables: TTables,
  options: SyncModelOptions<TTables> = {},
): SyncModel<TTables> {
  const described = Object.entries(tables).map(
    ([property, table]) => [property, describeTable(table)] as const,
  );
  const unscoped = new Map(described.map(([, table]) => [table.name, table]));
  for (const [, table] of described) {
    for (const column of table.references) {
      const target = unscoped.get(column.references ?? "");
      if (!target) {
        throw new Error(
          `${table.name}.${column.name} references "${column.references}", which is not in the model`,
        );
      }
      if (target.key.type !== column.type) {
        throw new Error(`${table.name}.${column.name}: its type differs from ${target.name}'s key`);
      }
    }
  }
  const scopes = resolveScopes(described, options.scopes ?? {});
  const conflicts: Record<string, unknown> = options.conflicts ?? {};
  for (const property of Object.keys(conflicts)) {
    if (!Object.hasOwn(tables, property)) {
      throw new Error(`conflicts.${property}: the model has no table ${property}`);
    }
  }
  const infos = described.map(
    ([property, table]): TableInfo => ({
      ...table,
      scope: scopes.get(table.name) ?? { kind: "global" },
      conflicts: resolveConflictPolicy(
        table.name,
        Object.hasOwn(conflicts, property) ? conflicts[property] : undefined,
      ),
    }),
  );
  const ordered = orderByReferences(infos);
  for (const table of ordered) {
    const { scope } = table;
    if (scope.kind !== "parent") continue;
    if (ordered.findIndex((parent) => parent.name === scope.parent) > ordered.indexOf(table)) {
      throw new Error(`${table.name}: ordered before ${scope.parent}, whose scope it inherits`);
    }
  }
  return {
    tables,
    byName: new Map(infos.map((table) => [table.name, table])),
    ordered,
    scoped: infos.some((table) => table.scope.kind !== "global"),
  };
}
