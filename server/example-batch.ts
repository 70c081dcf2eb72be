import { createHash } from "node:crypto";
import type { ColumnInfo, SyncModel, TableInfo } from "../schema/index.ts";

/** A value of the example, as `data` carries it. */
type ExampleValue = string | number;

/** One INSERT of the example, as the wire carries it (SQL names). */
export interface ExampleInsert {
  readonly table: string;
  readonly key: string;
  readonly data: Readonly<Record<string, ExampleValue>>;
}

/** A ready batch of INSERTs for a model, and the reference it shows, if any. */
export interface ExampleBatch {
  readonly inserts: readonly ExampleInsert[];
  /** The child rows refer to the parent's row by its key in `column` (a temporary key when autonumbered). */
  readonly reference:
    | { readonly parent: TableInfo; readonly child: TableInfo; readonly column: ColumnInfo }
    | undefined;
}

/** A name GraphQL accepts as an object field: the only keys a `data` literal can hold. */
const isGraphqlName = (name: string): boolean => /^[_A-Za-z][_0-9A-Za-z]*$/.test(name);

/** A column an INSERT must give: NOT NULL and no SQL default for the server to fill in. */
const isRequired = (column: ColumnInfo): boolean => column.notNull && !column.hasDefault;

/** A key that looks like a UUID (version 4), the same for the same table and row on every run. */
function uuidLike(table: string, row: number): string {
  const hex = createHash("sha256").update(`graphiql:${table}:${row}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A plausible value of `column` for the `row`-th example row of `table` (1, 2, …). */
function exampleValue(table: TableInfo, column: ColumnInfo, row: number): ExampleValue {
  const { drizzle, name } = column;
  if (drizzle.columnType === "SQLiteBoolean") return row % 2;
  if (drizzle.columnType === "SQLiteTimestamp") {
    const seconds = 1_795_600_000 + row * 86_400;
    return "mode" in drizzle && drizzle.mode === "timestamp_ms" ? seconds * 1000 : seconds;
  }
  if (drizzle.columnType === "SQLiteTextJson") return JSON.stringify({ example: row });
  const choices = drizzle.enumValues;
  if (choices && choices.length > 0) return choices[(row - 1) % choices.length] ?? "";
  if (column.type === "integer") return row;
  if (column.type === "real") return 10.5 * row;
  if (/e-?mail/i.test(name)) return `person${row}@example.com`;
  if (/(_at|_on|At|On|date|time)$/i.test(name)) return `2026-11-${25 + row}T10:00:00Z`;
  if (/name|title/i.test(name)) return `Example ${table.name} ${row}`;
  return `Example ${name} ${row}`;
}

/**
 * The tables an example can insert into: every required column has a GraphQL name, and every
 * required reference leads to such a table (a cycle of required references cannot be inserted).
 */
function writableTables(model: SyncModel): Set<TableInfo> {
  const writable = new Set<TableInfo>();
  const visit = (table: TableInfo, path: ReadonlySet<TableInfo>): boolean => {
    if (writable.has(table)) return true;
    if (path.has(table)) return false;
    const deeper = new Set(path).add(table);
    for (const column of table.dataColumns) {
      if (!isRequired(column)) continue;
      if (!isGraphqlName(column.name)) return false;
      const target = model.byName.get(column.references ?? "");
      if (target && target !== table && !visit(target, deeper)) return false;
    }
    writable.add(table);
    return true;
  };
  for (const table of model.ordered) visit(table, new Set());
  return writable;
}

/** The pair to show: a child referring to a parent (an autonumbered one if any), or none. */
function pickReference(model: SyncModel, writable: ReadonlySet<TableInfo>) {
  const pairs = model.ordered.flatMap((child) =>
    writable.has(child)
      ? child.references.flatMap((column) => {
          const parent = model.byName.get(column.references ?? "");
          return parent && parent !== child && writable.has(parent) && isGraphqlName(column.name)
            ? [{ parent, child, column }]
            : [];
        })
      : [],
  );
  return pairs.find((pair) => pair.parent.keyKind === "autonumber") ?? pairs[0];
}

/**
 * A batch of INSERTs that a server running `model` applies on an empty database: a parent row
 * and two children that refer to it by its key (a temporary key when the parent is autonumbered),
 * or, when no table refers to another, one row of the first table. The rows a required reference
 * needs come first. Columns with an SQL default are left out (the server fills them in), nullable
 * columns whose names GraphQL cannot write as a field are left out too. Empty when no table can
 * be written as a literal.
 */
export function exampleBatch(model: SyncModel): ExampleBatch {
  const writable = writableTables(model);
  const inserts: ExampleInsert[] = [];
  /** The keys of the rows already in `inserts`, by table: what a later row may refer to. */
  const keysOf = new Map<TableInfo, ExampleValue[]>();
  const rowsOf = new Map<TableInfo, number>();

  function insert(table: TableInfo, given: ReadonlyMap<ColumnInfo, ExampleValue>): ExampleValue {
    const row = (rowsOf.get(table) ?? 0) + 1;
    rowsOf.set(table, row);
    const key = table.keyKind === "autonumber" ? -row : uuidLike(table.name, row);
    const data: Record<string, ExampleValue> = {};
    for (const column of table.dataColumns) {
      const value = given.get(column) ?? columnValue(table, column, key, row);
      if (value !== undefined) data[column.name] = value;
    }
    inserts.push({ table: table.name, key: String(key), data });
    keysOf.set(table, [...(keysOf.get(table) ?? []), key]);
    return key;
  }

  function columnValue(table: TableInfo, column: ColumnInfo, key: ExampleValue, row: number) {
    if (column.hasDefault || !isGraphqlName(column.name)) return undefined;
    const target = model.byName.get(column.references ?? "");
    if (!target) return exampleValue(table, column, row);
    if (target === table) return column.notNull ? key : undefined;
    const existing = keysOf.get(target)?.[0];
    if (existing !== undefined || !column.notNull) return existing;
    // A required parent the example has no row of yet: it goes first, in list order.
    return insert(target, new Map());
  }

  const reference = pickReference(model, writable);
  if (reference) {
    const parentKey = insert(reference.parent, new Map());
    for (let i = 0; i < 2; i++) insert(reference.child, new Map([[reference.column, parentKey]]));
  } else {
    const [first] = model.ordered.filter((table) => writable.has(table));
    if (first) insert(first, new Map());
  }
  return { inserts, reference };
}
