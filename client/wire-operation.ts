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
 * An event as the wire carries it (a `SyncOperationInput`, keys in sorted order; see
 * `sync_outbox.operation`): a batch's body is these texts joined, with no JSON built per event.
 */
export function wireOperation(
  info: TableInfo,
  seq: number,
  kind: "insert" | "update" | "delete",
  rowKey: string,
  data: Readonly<Record<string, string | number | null>> | null,
): string {
  const json = data === null ? "null" : JSON.stringify(data, sortedColumnNames(info));
  return `{"data":${json},"eventId":"${seq}","key":${JSON.stringify(rowKey)},"kind":"${kind.toUpperCase()}","table":${JSON.stringify(info.name)}}`;
}
