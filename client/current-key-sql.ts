/**
 * SQL for the key a row has now, given the key (as text) an outbox event names it by, and its
 * table (both SQL expressions): a temporary key this device has had mapped becomes its server key
 * (as text), through the log of mapped runs; any other key stays as it is. Events of a batch in
 * flight keep the temporary keys they were sent with, so whoever matches events to rows by key
 * goes through this. Only autonumbered tables have runs, so a device-made key passes unchanged.
 */
export function currentKeySql(table: string, key: string): string {
  const number = `CAST(${key} AS INTEGER)`;
  return `CASE WHEN ${key} GLOB '-[1-9]*' THEN coalesce((
      SELECT CASE WHEN m.last_client <= ${number} THEN CAST(m.first_server + (m.first_client - ${number}) AS TEXT) END
      FROM sync_mapped_run m WHERE m.table_name = ${table} AND m.first_client >= ${number}
      ORDER BY m.first_client LIMIT 1), ${key}) ELSE ${key} END`;
}
