import { expect } from "vitest";
import { exampleModel } from "../schema/index.ts";
import { syncedRows } from "./compare-databases.ts";

type Rows = (sql: string) => Promise<Array<Record<string, unknown>>>;

/** `PRAGMA integrity_check` is `ok`. */
export async function expectIntact(rows: Rows, label: string): Promise<void> {
  const result = await rows("PRAGMA integrity_check");
  expect(
    result.map((row) => Object.values(row)[0]),
    `${label}: integrity_check`,
  ).toEqual(["ok"]);
}

/**
 * The battery's invariants after a final successful send: the device's outbox is empty (nothing
 * waiting, nothing rejected unless `allowRejected`), device and server hold the same rows (nothing
 * lost, nothing doubled, since every local write was applied once on the device), the device holds
 * no temporary key the server mapped, each temporary key maps to exactly one server key, the
 * device keeps no reference of a gone event and no overlapping mapping runs, and both databases
 * pass integrity_check.
 */
export async function expectAgreement(
  device: Rows,
  server: Rows,
  clientId: string,
  { allowRejected = false } = {},
): Promise<void> {
  await expectIntact(device, "device");
  await expectIntact(server, "server");
  const pending = await device(
    "SELECT count(*) AS n FROM sync_outbox WHERE status = 'pending' AND kind != 'checkpoint'",
  );
  expect(Number(pending[0]?.n), "events still pending").toBe(0);
  if (!allowRejected) {
    const rejected = await device(
      "SELECT error_code, error_message FROM sync_outbox WHERE status = 'rejected'",
    );
    expect(rejected, "rejected events").toEqual([]);
  }
  // Every recorded reference belongs to an event still in the outbox.
  const orphans = await device(
    "SELECT r.seq FROM sync_outbox_ref r LEFT JOIN sync_outbox o ON o.seq = r.seq WHERE o.seq IS NULL",
  );
  expect(orphans, "references of events no longer in the outbox").toEqual([]);
  // Runs of the device's mapping log never overlap.
  const overlapping = await device(
    `SELECT a.table_name, a.first_client FROM sync_mapped_run a JOIN sync_mapped_run b
     ON a.table_name = b.table_name AND a.rowid < b.rowid
     AND a.last_client <= b.first_client AND b.last_client <= a.first_client`,
  );
  expect(overlapping, "overlapping runs in the device's mapping log").toEqual([]);
  const onDevice = await syncedRows(device);
  const onServer = await syncedRows(server);
  expect(onDevice, "device and server rows").toEqual(onServer);
  for (const table of exampleModel.ordered) {
    if (table.keyKind !== "autonumber") continue;
    const temporary = await device(
      `SELECT count(*) AS n FROM "${table.name}" WHERE "${table.key.name}" < 0`,
    );
    expect(Number(temporary[0]?.n), `${table.name}: temporary keys left on the device`).toBe(0);
  }
  // Runs of one table whose server keys overlap: a server key given to two temporary keys.
  const doubled = await server(
    `SELECT a.table_name, a.first_server FROM sync_key_run a JOIN sync_key_run b
     ON a.table_name = b.table_name AND a.rowid < b.rowid
     AND a.first_server <= b.first_server + (b.first_client - b.last_client)
     AND b.first_server <= a.first_server + (a.first_client - a.last_client)
     WHERE a.client_id = '${clientId.replaceAll("'", "''")}'`,
  );
  expect(doubled, "server keys given to two temporary keys").toEqual([]);
}
