import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { syncedRows } from "../test-utils/compare-databases.ts";
import { expectIntact } from "../test-utils/invariants.ts";
import { fileRows } from "../test-utils/server-and-device.ts";
import { type ServerProcess, startServerProcess } from "../test-utils/server-process.ts";
import { tempDir } from "../test-utils/temp-dir.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import { syncBatchDocument } from "../test-utils/test-server.ts";
import { writeWorkload } from "../test-utils/workload.ts";

describe("server processes", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("serves 20 devices × 1,000 events at once, through two server processes on one file, without an error", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const url = `file:${join(dir.path, "server.db")}`;
    const servers: ServerProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const server = await startServerProcess(url);
      servers.push(server);
      cleanups.push(() => server.stop());
    }
    const devices: TestDevice[] = [];
    for (let i = 0; i < 20; i++) {
      const device = await openTestDevice(servers[i % 2]?.endpoint ?? "", {
        maxOperationsPerRequest: 100,
        retry: { retries: 0 },
      });
      cleanups.push(() => device.close());
      await device.client.transaction((w) =>
        writeWorkload(w, { events: 1000, checkpointChance: 0.02, seed: 100 + i }),
      );
      devices.push(device);
    }
    const reports = await Promise.all(devices.map((device) => device.client.send()));
    expect(reports.map((r) => [r.applied, r.rejected, r.retries])).toEqual(
      devices.map(() => [1000, 0, 0]),
    );
    for (const server of servers) await server.stop();
    const server = fileRows(url);
    await expectIntact(server, "server");
    const total = await syncedRows(server);
    let deviceRows = 0;
    for (const device of devices) {
      await expectIntact(device.rows, "device");
      const rows = await syncedRows(device.rows);
      for (const [table, list] of Object.entries(rows)) {
        deviceRows += list.length;
        for (const row of list) expect(total[table]).toContainEqual(row);
      }
    }
    expect(Object.values(total).reduce((sum, list) => sum + list.length, 0)).toBe(deviceRows);
  }, 240_000);

  it("on SIGTERM finishes the request in flight, refuses new ones, and closes the database cleanly", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, "server.db");
    const server = await startServerProcess(`file:${file}`);
    cleanups.push(() => server.stop());
    let stdout = "";
    server.child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const operations = Array.from({ length: 10_000 }, (_, i) => ({
      eventId: String(i),
      table: "location",
      kind: "INSERT",
      key: String(-(i + 1)),
      data: { device_id: "d", latitude: 1, longitude: 2, recorded_at: "t" },
    }));
    const inFlight = fetch(server.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: syncBatchDocument,
        variables: { input: { clientId: "c", batchId: "b", batchSeq: 1, operations } },
      }),
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const exited = new Promise<number | null>((resolve) => server.child.once("exit", resolve));
    server.child.kill("SIGTERM");
    const response = await inFlight;
    const answer = (await response.json()) as {
      data: { syncBatch: { results: Array<{ status: string }> } };
    };
    expect(answer.data.syncBatch.results.filter((r) => r.status === "APPLIED")).toHaveLength(
      10_000,
    );
    await expect(
      fetch(server.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      }),
    ).rejects.toThrow();
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/SIGTERM: finishing requests in flight/);
    expect(stdout).toMatch(/database closed/);
    // A clean close checkpoints the write-ahead log into the database file and removes it.
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
    await expectIntact(fileRows(`file:${file}`), "server");
    expect(await fileRows(`file:${file}`)("SELECT count(*) AS n FROM location")).toEqual([
      { n: 10_000 },
    ]);
  });
});
