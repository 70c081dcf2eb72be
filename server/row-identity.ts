/**
 * The identity of a row as one string: its table and its key joined by U+0000. Table names never
 * hold U+0000, so the first one ends the table name and two different rows never share an
 * identity. The one place it is built: sets and maps of rows key on it, and the store answers in it.
 */
export function rowIdentity(table: string, key: string | number): string {
  return `${table}\u0000${key}`;
}
