import type { TestDevice } from "./test-device.ts";

/** The tables of a device's typed stage (`client/typed-stage.ts`) and the rows they hold. */
export async function typedStageRows(
  device: Pick<TestDevice, "rows">,
): Promise<{ tables: number; rows: number }> {
  const tables = await device.rows(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB 'sync_typed_stage_*' ORDER BY name",
  );
  let rows = 0;
  for (const { name } of tables) {
    const [count] = await device.rows(`SELECT count(*) AS n FROM "${String(name)}"`);
    rows += Number(count?.n);
  }
  return { tables: tables.length, rows };
}
