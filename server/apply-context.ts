import type { SyncModel, TableInfo } from "../schema/index.ts";
import { createDeviceRowMarks, type DeviceRowMarks } from "./device-row-marks.ts";
import type {
  BatchOutcome,
  ConflictInfo,
  KeyMapping,
  OperationVerdict,
  Rejection,
  SyncOperation,
} from "./operation.ts";
import type { InsertKey, Prepared, PreparedInsert, Refused } from "./prepare-operation.ts";
import { createRowVersions, type RowVersions } from "./row-versions.ts";
import type { ScopeGuard } from "./scope-guard.ts";
import type { Row, SyncStoreTransaction } from "./store/sync-store.ts";
import { loadTempKeys, type TempKeys } from "./temp-keys.ts";

/**
 * What the steps of applying one batch share: the transaction, the client's temporary keys and
 * device-keyed rows as this request leaves them, and the answer being built (a verdict per
 * operation, by its index in the request, and the key mappings).
 */
export interface ApplyContext {
  readonly model: SyncModel;
  readonly tx: SyncStoreTransaction;
  readonly clientId: string;
  /** The scopes the request may read and write. */
  readonly guard: ScopeGuard;
  readonly tempKeys: TempKeys;
  readonly deviceRows: DeviceRowMarks;
  /** The rows' versions and change sequence (an UPDATE or DELETE reports its write there). */
  readonly rowVersions: RowVersions;
  /**
   * Answers an operation APPLIED, with the row's version after it (null: nothing was written, a
   * repeat of an INSERT applied before), the key mapping of an INSERT by temporary key, and the
   * conflict it met, if any.
   */
  applied(
    index: number,
    version: number | null,
    mapping?: KeyMapping,
    conflict?: ConflictInfo | null,
  ): void;
  /**
   * Answers an INSERT APPLIED once its row was written (`row`, key first): records its key mapping
   * (a temporary key, mapped to `serverKey`) or its row (a device-made key, `serverKey` undefined)
   * as inserted, and its version.
   */
  inserted(
    index: number,
    insert: PreparedInsert,
    serverKey: number | undefined,
    row: Row,
  ): Promise<void> | undefined;
  /**
   * Answers an operation REJECTED, with the conflict it met, if any. A rejected INSERT (`insert`)
   * is remembered, so that what refers to its row, now or in a later request, is
   * DEPENDENCY_REJECTED.
   */
  rejected(
    index: number,
    rejection: Rejection,
    insert?: InsertKey,
    conflict?: ConflictInfo | null,
  ): void;
  /** Saves the temporary keys and device-keyed rows this request changed; returns the answer. */
  finish(): Promise<BatchOutcome>;
}

/** By table, the rows the operations name by a server or device-made key (their states preload). */
function namedRows(prepared: ReadonlyArray<Prepared | Refused>): Map<TableInfo, string[]> {
  const named = new Map<TableInfo, string[]>();
  for (const item of prepared) {
    if (!item.ok) continue;
    if (typeof item.key === "number" && item.key < 0) continue;
    if (item.operation.kind === "INSERT" && typeof item.key === "number") continue;
    const keys = named.get(item.table);
    if (keys) keys.push(String(item.key));
    else named.set(item.table, [String(item.key)]);
  }
  return named;
}

/** The context of one request: loads the states of the temporary keys its operations mention. */
export async function createApplyContext(
  model: SyncModel,
  tx: SyncStoreTransaction,
  clientId: string,
  operations: readonly SyncOperation[],
  prepared: ReadonlyArray<Prepared | Refused>,
  guard: ScopeGuard,
): Promise<ApplyContext> {
  const tempKeys = await loadTempKeys(tx, clientId, prepared);
  const deviceRows = createDeviceRowMarks(tx, clientId);
  const rowVersions = createRowVersions(model, tx, { clientId, reads: guard.reads });
  await rowVersions.preload(namedRows(prepared));
  const verdicts: OperationVerdict[] = new Array(operations.length);
  const mappings: Array<KeyMapping | undefined> = new Array(operations.length);
  const eventIdOf = (index: number): string => operations[index]?.eventId ?? "";

  const applied = (
    index: number,
    version: number | null,
    mapping?: KeyMapping,
    conflict: ConflictInfo | null = null,
  ): void => {
    verdicts[index] = {
      eventId: eventIdOf(index),
      status: "APPLIED",
      error: null,
      version,
      conflict,
    };
    if (mapping) mappings[index] = mapping;
  };
  const answerInsert = (
    index: number,
    { table, key }: PreparedInsert,
    serverKey: number | undefined,
    version: number,
  ): void => {
    if (typeof key === "number" && serverKey !== undefined) {
      tempKeys.map(table.name, key, serverKey);
      const mapping = { table: table.name, clientKey: String(key), serverKey: String(serverKey) };
      applied(index, version, mapping);
    } else {
      if (typeof key === "string") deviceRows.inserted({ table: table.name, key });
      applied(index, version);
    }
  };
  return {
    model,
    tx,
    clientId,
    guard,
    tempKeys,
    deviceRows,
    rowVersions,
    applied,
    inserted(index, insert, serverKey, row) {
      // Most inserts know their version at once (a new row of a global table): no promise.
      const version = rowVersions.inserted(insert.table, row);
      if (typeof version === "number") {
        answerInsert(index, insert, serverKey, version);
        return undefined;
      }
      return version.then((known) => answerInsert(index, insert, serverKey, known));
    },
    rejected(index, rejection, insert, conflict = null) {
      verdicts[index] = {
        eventId: eventIdOf(index),
        status: "REJECTED",
        error: rejection,
        version: null,
        conflict,
      };
      if (typeof insert?.key === "number") tempKeys.reject(insert.table, insert.key);
      else if (insert) deviceRows.rejected({ table: insert.table, key: insert.key });
    },
    async finish() {
      await tempKeys.save();
      await deviceRows.save();
      await rowVersions.save(Date.now());
      return {
        results: verdicts,
        keyMappings: mappings.filter((mapping): mapping is KeyMapping => mapping !== undefined),
      };
    },
  };
}
