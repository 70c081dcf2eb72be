/** Quotes an SQL identifier (table or column name) for SQLite and PostgreSQL alike. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
