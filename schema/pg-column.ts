// One SQLite column as a PostgreSQL column builder: the type mapping and the defaults that carry
// over (see `toPgTables`).
import { is, SQL, sql } from "drizzle-orm";
import {
  bigint,
  customType,
  doublePrecision,
  type PgColumnBuilderBase,
  text,
} from "drizzle-orm/pg-core";
import { type SQLiteColumn, SQLiteSyncDialect } from "drizzle-orm/sqlite-core";

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

/**
 * The PostgreSQL column builder of an SQLite column (`where` is its `table.column`): its type by
 * the default mapping or `options.columnTypes`, NOT NULL, primary key, unique, and its default
 * (portable SQL, a literal, or `options.defaults`); JS-side defaults carry over.
 */
export function pgColumnOf(
  column: SQLiteColumn,
  where: string,
  options: ToPgTablesOptions,
): Builder {
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
