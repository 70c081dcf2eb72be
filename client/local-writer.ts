import { randomUUID } from "node:crypto";
import type { InValue } from "@libsql/client";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  type ColumnInfo,
  checkColumnValue,
  describeValue,
  maxClientKeyLength,
  type SyncModel,
  type TableInfo,
} from "../schema/index.ts";
import { quoteIdentifier, type WriteTransaction } from "../writer/index.ts";
import { SyncClientError } from "./sync-client-error.ts";
import type { InsertValues, RowKey, UpdateValues } from "./typed-tables.ts";
import { wireOperation } from "./wire-operation.ts";

type Value = string | number | null;

/** Writes to synced tables, each recorded in the outbox in the same transaction. */
export interface LocalWriter<TTables extends Record<string, SQLiteTable>> {
  /**
   * Inserts a row and returns its key: the next temporary key (negative) for autonumbered tables.
   * Inside `transaction()`, consecutive inserts into one table are written together, so a
   * constraint error of one of them may surface at a later write or at commit; the transaction
   * then fails whole, as always.
   */
  insert<T extends TTables[keyof TTables]>(table: T, values: InsertValues<T>): Promise<RowKey<T>>;
  /** Changes columns of a row; records only the columns whose value changes. */
  update<T extends TTables[keyof TTables]>(
    table: T,
    key: RowKey<T>,
    changes: UpdateValues<T>,
  ): Promise<void>;
  delete<T extends TTables[keyof TTables]>(table: T, key: RowKey<T>): Promise<void>;
  /** Appends a checkpoint: a request boundary for `send()`. */
  setSendCheckpoint(): Promise<void>;
}

const invalid = (message: string, cause?: unknown): SyncClientError =>
  new SyncClientError("INVALID_WRITE", message, { cause });

/**
 * The column values an app passed, checked to be an object of them (the types say so, but a
 * value may come from anywhere); `call` and `what` name the write and the argument in the message.
 */
function columnValues(call: string, what: string, values: unknown): Record<string, unknown> {
  if (typeof values === "object" && values !== null && !Array.isArray(values)) {
    return values as Record<string, unknown>;
  }
  const got = values === undefined ? "undefined" : describeValue(values);
  throw invalid(`${call}: ${what} must be an object of column values, got ${got}`);
}

/** SQL rows come back from libSQL as numbers, strings, nulls (and bigints or buffers, refused). */
function toValue(where: string, value: unknown): Value {
  if (value === null || typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "bigint" && Number.isSafeInteger(Number(value))) return Number(value);
  throw invalid(`${where}: a value of type ${typeof value} cannot be synced`);
}

/**
 * The SQL value of a column, checked as the server will check it: a value SQLite would store
 * under its column's affinity ("3" in an integer column) but the server refuses is refused here,
 * before the row and its event disagree.
 */
function toDriver(table: TableInfo, column: ColumnInfo, value: unknown): Value {
  const stored =
    value === null
      ? null
      : toValue(`${table.name}.${column.name}`, column.drizzle.mapToDriverValue(value));
  const problem = checkColumnValue(table, column, stored);
  if (problem) throw invalid(problem.message);
  return stored;
}

async function run<T>(where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SyncClientError) throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT")) {
      throw invalid(`${where}: ${(error as Error).message}`, error);
    }
    throw error;
  }
}

/** A writer of one transaction, whose outbox events are written by `flush()` before commit. */
export interface TransactionWriter<TTables extends Record<string, SQLiteTable>>
  extends LocalWriter<TTables> {
  /**
   * Writes the buffered outbox events and temporary-key counters. Call once, before commit, when
   * the callback returned; fails if a write is still under way. The writer refuses writes after.
   */
  flush(): Promise<void>;
  /** Refuses every later write: the transaction failed. */
  end(): void;
}

/** One outbox row: seq, kind, table, key, operation (the event's wire JSON). */
type EventRow = [number, string, string | null, string | null, string | null];

/** SQLite caps bound parameters per statement; 500 events of 5 values each stay far below. */
const eventsPerStatement = 500;

/** Rows of `width` values per multi-row INSERT: at most 500, and far below SQLite's parameter cap. */
const rowsPerStatement = (width: number): number =>
  Math.max(1, Math.min(500, Math.floor(30_000 / width)));

/**
 * The writer of one local transaction. Rows are written at once (the app may read them or
 * reference them next); their outbox events and the temporary-key counters are buffered and
 * written with a few multi-row statements at `flush()`, in the same transaction.
 */
export function createLocalWriter<TTables extends Record<string, SQLiteTable>>(
  model: SyncModel<TTables>,
  tx: WriteTransaction,
): TransactionWriter<TTables> {
  const infos = new Map<SQLiteTable, TableInfo>(model.ordered.map((info) => [info.drizzle, info]));
  const infoOf = (table: SQLiteTable): TableInfo => {
    const info = infos.get(table);
    if (!info) throw invalid("the table is not part of the synced model");
    return info;
  };
  const events: EventRow[] = [];
  const refs: Array<[number, string | null, string, number]> = [];
  const tempKeys = new Map<string, number>();
  let nextSeq: number | undefined;
  /**
   * Consecutive inserts into one table with the same columns, written as one multi-row INSERT
   * before any other statement on a synced table (and at commit): a statement per row is what
   * makes bulk writes slow in libSQL, and each one holds native memory until it is collected.
   */
  let pending: { info: TableInfo; sql: string; tuple: string; rows: InValue[][] } | undefined;

  const writePending = async (): Promise<void> => {
    const group = pending;
    pending = undefined;
    if (!group || group.rows.length === 0) return;
    await run(`insert into ${group.info.name}`, () =>
      tx.execute({
        sql: `${group.sql} VALUES ${group.rows.map(() => group.tuple).join(", ")}`,
        args: group.rows.flat(),
      }),
    );
  };

  const columnOf = (info: TableInfo, property: string): ColumnInfo => {
    const column = info.columns.find((candidate) => candidate.property === property);
    if (!column) throw invalid(`${info.name} has no column "${property}"`);
    return column;
  };

  const nextTempKey = async (info: TableInfo): Promise<number> => {
    let last = tempKeys.get(info.name);
    if (last === undefined) {
      const { rows } = await tx.execute({
        sql: "SELECT last FROM sync_temp_key WHERE table_name = ?",
        args: [info.name],
      });
      last = rows[0] ? Number(rows[0].last) : 0;
    }
    tempKeys.set(info.name, last - 1);
    return last - 1;
  };

  /** Outbox sequence numbers are taken here: the transaction holds the write lock. */
  const takeSeq = async (): Promise<number> => {
    if (nextSeq === undefined) {
      const { rows } = await tx.execute(
        `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'), 0),
                    coalesce((SELECT max(seq) FROM sync_outbox), 0)) + 1 AS next`,
      );
      nextSeq = Number(rows[0]?.next ?? 1);
    }
    return nextSeq++;
  };

  /** A temporary key the app still holds after it was mapped reaches the row under its server key. */
  const currentKey = async (info: TableInfo, key: unknown): Promise<Value> => {
    if (info.keyKind === "client") {
      if (typeof key !== "string" || key.length === 0)
        throw invalid(`key of ${info.name} must be a text`);
      return key;
    }
    if (!Number.isSafeInteger(key) || key === 0)
      throw invalid(`key of ${info.name} must be a non-zero integer`);
    if ((key as number) > 0) return key as number;
    // The nearest run starting at or above the key holds it, if any does (runs never overlap).
    const { rows } = await tx.execute({
      sql: `SELECT first_server + (first_client - ?2) AS server_key FROM (
              SELECT * FROM sync_mapped_run WHERE table_name = ?1 AND first_client >= ?2
              ORDER BY first_client LIMIT 1)
            WHERE last_client <= ?2`,
      args: [info.name, key as number],
    });
    return rows[0] ? Number(rows[0].server_key) : (key as number);
  };

  /** A foreign key the app still gives as a mapped temporary key becomes the server key. */
  const currentRef = async (column: ColumnInfo, value: Value): Promise<Value> => {
    if (typeof value !== "number" || value >= 0 || column.references === undefined) return value;
    const target = model.byName.get(column.references);
    return target?.keyKind === "autonumber" ? currentKey(target, value) : value;
  };

  const record = async (
    kind: "insert" | "update" | "delete",
    info: TableInfo,
    key: Value,
    data: Record<string, Value> | null,
  ) => {
    const seq = await takeSeq();
    const rowKey = String(key);
    events.push([seq, kind, info.name, rowKey, wireOperation(info, seq, kind, rowKey, data)]);
    if (kind !== "insert" && typeof key === "number" && key < 0)
      refs.push([seq, null, info.name, key]);
    for (const column of info.references) {
      const value = data?.[column.name];
      const target = model.byName.get(column.references ?? "");
      if (typeof value === "number" && value < 0 && target?.keyKind === "autonumber") {
        refs.push([seq, column.name, target.name, value]);
      }
    }
  };

  const insertMany = async (
    sql: string,
    width: number,
    rows: ReadonlyArray<readonly InValue[]>,
  ) => {
    const tuple = `(${Array.from({ length: width }, () => "?").join(", ")})`;
    for (let start = 0; start < rows.length; start += eventsPerStatement) {
      const chunk = rows.slice(start, start + eventsPerStatement);
      await tx.execute({
        sql: `${sql} VALUES ${chunk.map(() => tuple).join(", ")}`,
        args: chunk.flat(),
      });
    }
  };

  const writer: LocalWriter<TTables> = {
    async insert(table, values) {
      const info = infoOf(table);
      const given = columnValues(`insert into ${info.name}`, "values", values);
      for (const property of Object.keys(given)) columnOf(info, property);
      let key: Value;
      if (info.keyKind === "autonumber") {
        if (given[info.key.property] !== undefined) {
          throw invalid(
            `${info.name}: leave "${info.key.property}" out; the device gives a temporary key and the server numbers the row`,
          );
        }
        key = await nextTempKey(info);
      } else {
        const wanted = given[info.key.property] ?? randomUUID();
        if (
          typeof wanted !== "string" ||
          wanted.length === 0 ||
          wanted.length > maxClientKeyLength ||
          !wanted.isWellFormed()
        )
          throw invalid(
            `key of ${info.name} must be a well-formed text of 1 to ${maxClientKeyLength} characters`,
          );
        key = wanted;
      }
      const names: string[] = [];
      const args: InValue[] = [];
      const data: Record<string, Value> = {};
      let sqlDefaults = false;
      for (const column of info.columns) {
        let value = column.isKey ? key : given[column.property];
        if (value === undefined && column.drizzle.defaultFn) value = column.drizzle.defaultFn();
        if (value === undefined) {
          if (column.notNull && !column.hasDefault && !column.isKey) {
            throw invalid(`${info.name}.${column.name} must not be null`);
          }
          // Left to SQLite: NULL, or a default only the database knows (read back below).
          sqlDefaults ||= column.hasDefault;
          if (!column.isKey) data[column.name] = null;
          continue;
        }
        const stored = column.isKey
          ? (value as Value)
          : await currentRef(column, toDriver(info, column, value));
        names.push(quoteIdentifier(column.name));
        args.push(stored);
        if (!column.isKey) data[column.name] = stored;
      }
      const sql = `INSERT INTO ${quoteIdentifier(info.name)} (${names.join(", ")})`;
      const tuple = `(${names.map(() => "?").join(", ")})`;
      if (sqlDefaults) {
        // Only the database knows these values: write the row now and read it back.
        await writePending();
        const { rows } = await run(`insert into ${info.name}`, () =>
          tx.execute({ sql: `${sql} VALUES ${tuple} RETURNING *`, args }),
        );
        const row: Record<string, unknown> = rows[0] ?? {};
        for (const column of info.dataColumns) {
          data[column.name] = toValue(`${info.name}.${column.name}`, row[column.name]);
        }
      } else {
        if (pending?.sql !== sql || pending.rows.length >= rowsPerStatement(names.length)) {
          await writePending();
          pending = { info, sql, tuple, rows: [] };
        }
        pending.rows.push(args);
      }
      await record("insert", info, key, data);
      return key as RowKey<typeof table>;
    },

    async update(table, rowKey, changes) {
      await writePending();
      const info = infoOf(table);
      const given = columnValues(`update of ${info.name}`, "changes", changes);
      const key = await currentKey(info, rowKey);
      const { rows } = await tx.execute({
        sql: `SELECT * FROM ${quoteIdentifier(info.name)} WHERE ${quoteIdentifier(info.key.name)} = ?`,
        args: [key],
      });
      const old = rows[0];
      if (!old) throw invalid(`update of ${info.name}: no row with key ${String(rowKey)}`);
      const changed: Record<string, Value> = {};
      for (const [property, value] of Object.entries(given)) {
        const column = columnOf(info, property);
        if (column.isKey) throw invalid(`update of ${info.name}: the key cannot change`);
        if (value === undefined) continue;
        const stored = await currentRef(column, toDriver(info, column, value));
        if (old[column.name] !== stored) changed[column.name] = stored;
      }
      const names = Object.keys(changed);
      if (names.length === 0) return;
      await run(`update of ${info.name} ${String(rowKey)}`, () =>
        tx.execute({
          sql: `UPDATE ${quoteIdentifier(info.name)} SET ${names.map((name) => `${quoteIdentifier(name)} = ?`).join(", ")} WHERE ${quoteIdentifier(info.key.name)} = ?`,
          args: [...Object.values(changed), key],
        }),
      );
      await record("update", info, key, changed);
    },

    async delete(table, rowKey) {
      await writePending();
      const info = infoOf(table);
      const key = await currentKey(info, rowKey);
      const result = await run(`delete from ${info.name} ${String(rowKey)}`, () =>
        tx.execute({
          sql: `DELETE FROM ${quoteIdentifier(info.name)} WHERE ${quoteIdentifier(info.key.name)} = ?`,
          args: [key],
        }),
      );
      if (result.rowsAffected === 0)
        throw invalid(`delete from ${info.name}: no row with key ${String(rowKey)}`);
      await record("delete", info, key, null);
    },

    async setSendCheckpoint() {
      events.push([await takeSeq(), "checkpoint", null, null, null]);
    },
  };

  /**
   * The transaction ends with its callback: a write called after that, or still under way then (a
   * write not awaited, a forEach with an async callback), would be lost or land without its event.
   */
  let ended = false;
  let underWay = 0;
  const guard =
    <A extends unknown[], R>(name: string, method: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (ended) {
        throw invalid(
          `${name}: the transaction has ended; use its writer only inside transaction()'s callback, and await each write`,
        );
      }
      underWay += 1;
      try {
        return await method(...args);
      } finally {
        underWay -= 1;
      }
    };

  return {
    insert: guard("insert", writer.insert),
    update: guard("update", writer.update),
    delete: guard("delete", writer.delete),
    setSendCheckpoint: guard("setSendCheckpoint", writer.setSendCheckpoint),
    end() {
      ended = true;
    },
    async flush() {
      ended = true;
      if (underWay > 0) {
        throw invalid(
          `transaction(): ${underWay} write${underWay === 1 ? " was" : "s were"} still under way when the callback returned; await each write (a forEach with an async callback does not), nothing was committed`,
        );
      }
      await writePending();
      await insertMany(
        "INSERT INTO sync_outbox (seq, kind, table_name, row_key, operation)",
        5,
        events,
      );
      await insertMany(
        "INSERT INTO sync_outbox_ref (seq, column_name, ref_table, ref_key)",
        4,
        refs,
      );
      for (const [table, last] of tempKeys) {
        await tx.execute({
          sql: "INSERT INTO sync_temp_key (table_name, last) VALUES (?, ?) ON CONFLICT (table_name) DO UPDATE SET last = excluded.last",
          args: [table, last],
        });
      }
      events.length = 0;
      refs.length = 0;
      tempKeys.clear();
    },
  };
}
