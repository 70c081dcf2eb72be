/**
 * The identity of a row as one string: its table and its key joined by U+0000. Table names never
 * hold U+0000, so the first one ends the table name and two different rows never share an
 * identity. The one place it is built, on both sides: sets and maps of rows key on it, the server's
 * store answers in it, and a batch on the device names its inserted temporary keys by it.
 */
export function rowIdentity(table: string, key: string | number): string {
  return `${table}\u0000${key}`;
}

/** {@link rowIdentity} in SQL, of the SQL expressions `table` and `key`. */
export function rowIdentitySql(table: string, key: string): string {
  return `${table} || char(0) || ${key}`;
}

/** Whether `identity` is {@link rowIdentity} of `table` and `key`, without building a string. */
export function isRowIdentity(identity: string, table: string, key: string): boolean {
  return (
    identity.length === table.length + 1 + key.length &&
    identity.charCodeAt(table.length) === 0 &&
    identity.startsWith(table) &&
    identity.endsWith(key)
  );
}

/** The table and the key (as text) of a {@link rowIdentity}. */
export function rowOfIdentity(identity: string): readonly [table: string, key: string] {
  const end = identity.indexOf("\u0000");
  return [identity.slice(0, end), identity.slice(end + 1)];
}
