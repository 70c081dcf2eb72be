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
 * no temporary key the server mapped, each temporary key maps to exactly one server key, and both
 * databases pass integrity_check.
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
  const doubled = await server(
    `SELECT table_name, server_key, count(*) AS n FROM sync_key WHERE client_id = '${clientId.replaceAll("'", "''")}'
     AND server_key IS NOT NULL GROUP BY table_name, server_key HAVING n > 1`,
  );
  expect(doubled, "server keys given to two temporary keys").toEqual([]);
}
