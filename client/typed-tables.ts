import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/** The property name of a drizzle table's key column. */
export type KeyProperty<T extends SQLiteTable> = {
  [K in keyof T["_"]["columns"]]: T["_"]["columns"][K]["_"]["isPrimaryKey"] extends true
    ? K
    : never;
}[keyof T["_"]["columns"]] &
  keyof T["$inferInsert"] &
  keyof T["$inferSelect"];

/** A row's key: a number for autonumbered tables (negative while temporary), text for UUID tables. */
export type RowKey<T extends SQLiteTable> = NonNullable<T["$inferSelect"][KeyProperty<T>]>;

/** Whether the server numbers the table's rows: a synced table's integer key is always autonumber. */
type IsAutonumber<T extends SQLiteTable> = RowKey<T> extends number ? true : false;

/** The values of a new row: every column but the key; a UUID table may give its key, an autonumbered one not. */
export type InsertValues<T extends SQLiteTable> = Omit<T["$inferInsert"], KeyProperty<T>> & {
  [K in KeyProperty<T>]?: IsAutonumber<T> extends true ? never : T["$inferInsert"][K];
};

/** The columns an update changes. */
export type UpdateValues<T extends SQLiteTable> = Partial<Omit<T["$inferInsert"], KeyProperty<T>>>;
