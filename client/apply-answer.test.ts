import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exampleModel } from "../schema/index.ts";
import { tempDir } from "../test-utils/temp-dir.ts";
import { applyAnswer } from "./apply-answer.ts";
import { createSyncClient } from "./index.ts";
import type { Batch } from "./next-batch.ts";
import { openNodeDeviceDatabase } from "./node-device-database.ts";

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

const batch: Batch = {
  batchId: "b",
  batchSeq: 1,
  operationsJson: new Uint8Array(),
  seqs: [],
  tempKeys: [],
  checkpointSeq: null,
  fresh: false,
};

describe("applyAnswer's log of mapped keys", () => {
  it("logs mappings as runs, keeps the logged mapping of a key that comes again, never overlaps", async () => {
    dir = tempDir("mapped-runs-");
    const path = join(dir.path, "device.db");
    await (
      await createSyncClient({ database: `file:${path}`, endpoint: "http://127.0.0.1:9/graphql" })
    ).close();
    const database = await openNodeDeviceDatabase({ path, busyTimeoutMs: 1000 });
    const apply = (pairs: Array<[number, number]>) =>
      database.transaction((tx) =>
        applyAnswer(tx, exampleModel, batch, {
          applied: [],
          rejected: [],
          mappings: new Map([["location", pairs]]),
          mappingCount: pairs.length,
          versions: [],
          conflicts: [],
        }),
      );
    const runs = async () =>
      (
        await database.read(
          "SELECT first_client, last_client, first_server FROM sync_mapped_run ORDER BY first_client DESC",
        )
      ).rows;

    await apply([
      [-1, 10],
      [-2, 11],
      [-3, 12],
      [-5, 13],
      [-6, 14],
      [-7, 16],
    ]);
    expect(await runs()).toEqual([
      [-1, -3, 10],
      [-5, -6, 13],
      [-7, -7, 16],
    ]);
    // -3 and -6 are logged already; -4 and -8 are new and not consecutive with each other.
    await apply([
      [-3, 99],
      [-4, 20],
      [-6, 98],
      [-8, 21],
    ]);
    expect(await runs()).toEqual([
      [-1, -3, 10],
      [-4, -4, 20],
      [-5, -6, 13],
      [-7, -7, 16],
      [-8, -8, 21],
    ]);
    // One answer that maps a key twice (two INSERTs of one temporary key) logs it once.
    await apply([
      [-9, 30],
      [-10, 31],
      [-10, 31],
      [-11, 32],
    ]);
    expect((await runs()).slice(-1)).toEqual([[-9, -11, 30]]);
    await apply([
      [-12, 40],
      [-12, 40],
    ]);
    expect((await runs()).slice(-1)).toEqual([[-12, -12, 40]]);
    await database.close();
  });
});
