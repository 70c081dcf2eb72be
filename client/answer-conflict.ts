import { describeValue } from "../schema/index.ts";
import { mismatch } from "./answer-mismatch.ts";

/** How the server decided a conflict (`ConflictResolution`). */
export const conflictResolutions = [
  "CLIENT_WON",
  "MERGED",
  "SERVER_WON",
  "DELETED_REMOTELY",
] as const;
export type ConflictResolution = (typeof conflictResolutions)[number];

/** Another writer changed the row since the event's base, and what the server decided. */
export interface EventConflict {
  /** The row's version on the server before this event. */
  readonly serverVersion: number;
  /** The server's row after the verdict, every column but the key (null: deleted). */
  readonly serverRow: Readonly<Record<string, unknown>> | null;
  /** The event's columns another writer changed since its base. */
  readonly columns: readonly string[];
  readonly resolution: ConflictResolution;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/** A value of the answer as a message shows it. */
const shown = (value: unknown): string =>
  value === undefined ? "undefined" : describeValue(value);

/** A verdict's `conflict`, checked: null, or a conflict of the contract's shape. */
export function readConflict(seq: number, conflict: unknown): EventConflict | null {
  if (conflict === null || conflict === undefined) return null;
  const where = `verdict for event ${seq} has a conflict`;
  if (!isObject(conflict)) throw mismatch(`${where} that is ${shown(conflict)}, not an object`);
  const { serverVersion, serverRow, columns, resolution } = conflict;
  if (!Number.isSafeInteger(serverVersion) || (serverVersion as number) < 1) {
    throw mismatch(`${where} at version ${shown(serverVersion)}, not a positive integer`);
  }
  if (!conflictResolutions.includes(resolution as ConflictResolution)) {
    throw mismatch(`${where} resolved as ${shown(resolution)}`);
  }
  if (!Array.isArray(columns) || columns.some((column) => typeof column !== "string")) {
    throw mismatch(`${where} whose columns are not a list of names`);
  }
  if (serverRow !== null && (!isObject(serverRow) || Array.isArray(serverRow))) {
    throw mismatch(`${where} whose server row is ${shown(serverRow)}, not an object or null`);
  }
  return {
    serverVersion: serverVersion as number,
    serverRow: serverRow as Record<string, unknown> | null,
    columns: columns as string[],
    resolution: resolution as ConflictResolution,
  };
}
