import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import { answerApplyingAll, type FakeServer, startFakeServer } from "./fake-sync-server.ts";

let fake: FakeServer | undefined;
let device: TestDevice | undefined;
afterEach(async () => {
  await device?.close();
  await fake?.close();
  device = fake = undefined;
});

const MiB = 1024 * 1024;
const fetches = [
  ["the client's own fetch", undefined],
  ["the global fetch", globalThis.fetch],
] as const;
const outbox = "SELECT seq, kind, table_name, row_key, operation, status FROM sync_outbox";

/** A device with one insert waiting, talking to the fake server. */
async function deviceWithOneInsert(
  maxAnswerBytes: number,
  fetch: typeof globalThis.fetch | undefined,
) {
  device = await openTestDevice(fake?.endpoint ?? "", {
    maxAnswerBytes,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 },
    ...(fetch ? { fetch } : {}),
  });
  await device.client.insert(t.customer, { name: "Ada" });
  return device;
}

describe("an answer longer than the client reads", () => {
  it.each(fetches)(
    "stops reading an endless answer at maxAnswerBytes, with %s",
    async (_, fetch) => {
      let written = 0;
      // Begins as a committed answer, then 64 MiB of spaces with no declared length.
      fake = await startFakeServer(() => async (res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"data":{"syncBatch":{');
        const chunk = Buffer.alloc(64 * 1024, " ");
        while (written < 64 * MiB && !res.destroyed) {
          written += chunk.byteLength;
          if (!res.write(chunk)) {
            await new Promise((resolve) => {
              res.once("drain", resolve);
              res.once("close", resolve);
            });
          }
        }
        res.end();
      });
      const { client, rows } = await deviceWithOneInsert(MiB, fetch);
      const before = await rows(outbox);
      await expect(client.send()).rejects.toMatchObject({
        code: "ANSWER_MISMATCH",
        message:
          "the server's answer is longer than maxAnswerBytes (1048576 bytes); the rest was not read",
      });
      // The client closed the connection: the server could not write the rest. Not retried.
      expect(written).toBeLessThan(32 * MiB);
      expect(fake.batches).toBe(1);
      expect(await rows(outbox)).toEqual(before);
    },
  );

  it("measures a compressed answer as the global fetch decodes it", async () => {
    // 64 KiB on the wire, 64 MiB decoded.
    const bomb = gzipSync(Buffer.alloc(64 * MiB, " "), { level: 9 });
    fake = await startFakeServer(() => async (res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(bomb.byteLength),
      });
      res.end(bomb);
    });
    const { client } = await deviceWithOneInsert(MiB, globalThis.fetch);
    // (toMatchObject on an error does not hold a message to a RegExp: compared as texts here.)
    await expect(client.send()).rejects.toMatchObject({
      code: "ANSWER_MISMATCH",
      message:
        "the server's answer is longer than maxAnswerBytes (1048576 bytes); the rest was not read",
    });
  });

  it.each(
    fetches.flatMap(([name, fetch]) =>
      (["declared", "chunked"] as const).flatMap((kind) => [
        [name, kind, 0, true, fetch] as const,
        [name, kind, 1, false, fetch] as const,
      ]),
    ),
  )(
    "with %s, a %s answer of maxAnswerBytes + %i bytes is taken: %s",
    async (_, kind, over, taken, fetch) => {
      const limit = 4096;
      fake = await startFakeServer((request) => async (res) => {
        const text = JSON.stringify({ data: { syncBatch: answerApplyingAll(request) } });
        const body = text.padEnd(limit + over, " ");
        const length = kind === "declared" ? { "content-length": String(body.length) } : {};
        res.writeHead(200, { "content-type": "application/json", ...length });
        res.end(body);
      });
      const { client, rows } = await deviceWithOneInsert(limit, fetch);
      if (taken) {
        expect(await client.send()).toMatchObject({ applied: 1, mappingsApplied: 1 });
        expect(await rows("SELECT id FROM customer")).toEqual([{ id: 100 }]);
      } else {
        await expect(client.send()).rejects.toMatchObject({
          code: "ANSWER_MISMATCH",
          message: `the server's answer is longer than maxAnswerBytes (${limit} bytes); the rest was not read`,
        });
        expect(await rows("SELECT id FROM customer")).toEqual([{ id: -1 }]);
        expect(fake.batches).toBe(1);
      }
    },
  );
});
