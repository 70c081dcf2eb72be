// The model is declared once, as drizzle `sqliteTable`s; the PostgreSQL tables follow from them
// here, read through drizzle's own table config (never from source text), so that a column added
// to the SQLite model cannot be forgotten on PostgreSQL: drizzle-kit migrates both from one source.
import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import {
  bigint,
  check,
  customType,
  doublePrecision,
  foreignKey,
  index,
  type PgColumn,
  type PgColumnBuilderBase,
  type PgTable,
  type PgTableExtraConfigValue,
  type PgTableWithColumns,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import {
  getTableConfig,
  type SQLiteColumn,
  SQLiteSyncDialect,
  type SQLiteTable,
} from "drizzle-orm/sqlite-core";

/** A PostgreSQL column type `toPgTables` can write, or a function making the column's builder. */
export type PgColumnType =
  | "bigint"
  | "text"
  | "doublePrecision"
  | "bytea"
  | ((name: string) => PgColumnBuilderBase);

/** How `toPgTables` departs from the default mapping, by `"table.column"` (SQL names). */
export interface ToPgTablesOptions {
  /** The column's PostgreSQL type instead of the one its SQLite type maps to. */
  readonly columnTypes?: Readonly<Record<string, PgColumnType>>;
  /**
   * The column's PostgreSQL default instead of its SQLite one: needed for an `sql` default that
   * is not portable (e.g. `sql\`(unixepoch())\`` → `sql\`(extract(epoch from now())::bigint)\``).
   */
  readonly defaults?: Readonly<Record<string, SQL | string | number>>;
}

/** `bytea` for SQLite blobs: drizzle's pg-core has no builder of its own for it. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

type Kind = Exclude<PgColumnType, (name: string) => PgColumnBuilderBase>;

/** The builder calls made here, with the column's value type left open (it varies by column). */
interface Builder extends PgColumnBuilderBase {
  notNull(): Builder;
  primaryKey(): Builder;
  unique(name?: string): Builder;
  default(value: unknown): Builder;
  $defaultFn(fn: () => unknown): Builder;
  $onUpdateFn(fn: () => unknown): Builder;
}

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

const sqliteDialect = new SQLiteSyncDialect();

/**
 * The PostgreSQL type of each SQLite column type; one not here has no safe mapping. SQLite
 * integers are 64-bit: counters and µs timestamps need more than `integer`'s 32 bits.
 */
const defaultKinds: Readonly<Record<string, Kind>> = {
  SQLiteInteger: "bigint",
  SQLiteTimestamp: "bigint",
  SQLiteBoolean: "bigint",
  SQLiteText: "text",
  SQLiteTextJson: "text",
  SQLiteReal: "doublePrecision",
  SQLiteBlobBuffer: "bytea",
  SQLiteBlobJson: "bytea",
  SQLiteBigInt: "bytea",
};

const builders: Readonly<Record<Kind, (name: string) => Builder>> = {
  bigint: (name) => bigint(name, { mode: "number" }),
  text: (name) => text(name),
  doublePrecision: (name) => doublePrecision(name),
  bytea: (name) => bytea(name),
};

/**
 * SQLite's time keywords as PostgreSQL expressions that store the same text (UTC, no fraction):
 * PostgreSQL's own CURRENT_TIMESTAMP cast to text would differ from what SQLite stores.
 */
const timeKeywords: Readonly<Record<string, string>> = {
  CURRENT_TIMESTAMP: "YYYY-MM-DD HH24:MI:SS",
  CURRENT_DATE: "YYYY-MM-DD",
  CURRENT_TIME: "HH24:MI:SS",
};

/** The PostgreSQL form of a portable SQLite `sql` default, or `undefined` when it is not portable. */
function portableDefault(given: SQL, kind: PgColumnType): SQL | undefined {
  const { sql: text, params } = sqliteDialect.sqlToQuery(given);
  if (params.length > 0) return undefined;
  let bare = text.trim();
  while (bare.startsWith("(") && bare.endsWith(")")) bare = bare.slice(1, -1).trim();
  if (/^-?\d+(\.\d+)?$/.test(bare) || /^'([^']|'')*'$/.test(bare) || /^null$/i.test(bare)) {
    return sql.raw(bare);
  }
  const format = timeKeywords[bare.toUpperCase()];
  if (format !== undefined && kind === "text") {
    return sql.raw(`to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', '${format}')`);
  }
  return undefined;
}

/** A literal default as the PostgreSQL column of `kind` takes it. */
function literalDefault(column: SQLiteColumn, kind: PgColumnType, where: string): unknown {
  const value: unknown = column.mapToDriverValue(column.default);
  if (typeof kind === "function" || kind === "bytea") return value;
  if (kind === "text") return typeof value === "string" ? value : String(value);
  const number = typeof value === "bigint" || typeof value === "boolean" ? Number(value) : value;
  if (typeof number === "number" && Number.isFinite(number)) return number;
  throw new Error(`${where}: its default ${String(value)} does not fit a ${kind} column`);
}

/** The PostgreSQL column builder of an SQLite column (`where` is its `table.column`). */
function columnOf(column: SQLiteColumn, where: string, options: ToPgTablesOptions): Builder {
  if (column.generated !== undefined)
    throw new Error(`${where}: generated columns are not supported`);
  const kind = options.columnTypes?.[where] ?? defaultKinds[column.columnType];
  if (kind === undefined) {
    throw new Error(
      `${where}: no PostgreSQL type for ${column.columnType}; pass one as options.columnTypes["${where}"]`,
    );
  }
  let builder =
    typeof kind === "function" ? (kind(column.name) as Builder) : builders[kind](column.name);
  if (column.notNull) builder = builder.notNull();
  if (column.primary) builder = builder.primaryKey();
  if (column.isUnique) builder = builder.unique(column.uniqueName);
  const override = options.defaults?.[where];
  if (override !== undefined) builder = builder.default(override);
  else if (is(column.default, SQL)) {
    const portable = portableDefault(column.default, kind);
    if (portable === undefined) {
      const { sql: text } = sqliteDialect.sqlToQuery(column.default);
      throw new Error(
        `${where}: its SQL default \`${text}\` is not portable to PostgreSQL; pass the ` +
          `PostgreSQL expression as options.defaults["${where}"] (e.g. sql\`...\`)`,
      );
    }
    builder = builder.default(portable);
  } else if (column.default !== undefined && column.default !== null) {
    builder = builder.default(literalDefault(column, kind, where));
  }
  if (column.defaultFn !== undefined) builder = builder.$defaultFn(column.defaultFn);
  if (column.onUpdateFn !== undefined) builder = builder.$onUpdateFn(column.onUpdateFn);
  return builder;
}

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
      columns[key] = columnOf(column, `${config.name}.${column.name}`, options);
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
