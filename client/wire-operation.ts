import type { TableInfo } from "../schema/index.ts";

const sortedNames = new WeakMap<TableInfo, string[]>();

/**
 * A table's data column names in sorted order: an event's data is written with its keys so, the
 * canonical order in which the server hashes a request, which can then take the data as it is.
 */
function sortedColumnNames(info: TableInfo): string[] {
  let names = sortedNames.get(info);
  if (!names) {
    names = info.dataColumns.map((column) => column.name).sort();
    sortedNames.set(info, names);
  }
  return names;
}

/**
 * What a device knew of a row when it changed it (`SyncOperationInput.baseVersion` and `base`):
 * the row's server version, and for an UPDATE the changed columns' values before the change.
 */
export interface EventBase {
  readonly version: number;
  readonly values: Readonly<Record<string, string | number | null>> | null;
}

/**
 * An event as the wire carries it (a `SyncOperationInput`, keys in sorted order; see
 * `sync_outbox.operation`): a batch's body is these texts joined, with no JSON built per event.
 * `base` is left out when the device knows no version of the row.
 */
export function wireOperation(
  info: TableInfo,
  seq: number,
  kind: "insert" | "update" | "delete",
  rowKey: string,
  data: Readonly<Record<string, string | number | null>> | null,
  base: EventBase | null = null,
): string {
  const json = data === null ? "null" : JSON.stringify(data, sortedColumnNames(info));
  const known =
    base === null
      ? ""
      : `${base.values === null ? "" : `"base":${JSON.stringify(base.values, sortedColumnNames(info))},`}"baseVersion":${base.version},`;
  return `{${known}"data":${json},"eventId":"${seq}","key":${JSON.stringify(rowKey)},"kind":"${kind.toUpperCase()}","table":${JSON.stringify(info.name)}}`;
}
