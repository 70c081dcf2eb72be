import { createClient, type InStatement, type ResultSet } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import {
  createWriter,
  exampleModel,
  exampleTables,
  type WriteTransaction,
} from "../schema/index.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import { nextPiece } from "./next-piece.ts";

let device: TestDevice | undefined;
afterEach(async () => {
  await device?.close();
  device = undefined;
});

const sqlOf = (statement: InStatement) =>
  typeof statement === "string" ? statement : statement.sql;

/**
 * A transaction whose unordered piece query (aggregates without ORDER BY) answers its rows in
 * reverse order, as SQLite would be free to: the piece must still come out in outbox order.
 */
const scrambling = (tx: WriteTransaction, seen: string[]): WriteTransaction => ({
  async execute(statement: InStatement): Promise<ResultSet> {
    const sql = sqlOf(statement);
    const result = await tx.execute(statement);
    if (!sql.includes("group_concat")) return result;
    seen.push(sql);
    if (sql.includes("ORDER BY seq)")) return result;
    const row = result.rows[0] as unknown as Record<string, unknown>;
    const reverse = (json: unknown) => JSON.stringify(JSON.parse(String(json)).reverse());
    const operations = JSON.parse(Buffer.from(row.operations as ArrayBuffer).toString("utf8"));
    const scrambled = Buffer.from(JSON.stringify(operations.reverse()));
    return {
      ...result,
      rows: [
        {
          ...row,
          operations: scrambled.buffer.slice(
            scrambled.byteOffset,
            scrambled.byteOffset + scrambled.byteLength,
          ),
          seqs: reverse(row.seqs),
          temp_keys: reverse(row.temp_keys),
        },
      ] as unknown as ResultSet["rows"],
    };
  },
});

describe("nextPiece", () => {
  it("reads a piece in outbox order even when SQLite aggregates its rows out of order", async () => {
    device = await openTestDevice("http://127.0.0.1:9/graphql");
    for (let i = 0; i < 5; i++) {
      await device.client.insert(exampleTables.location, {
        deviceId: `d${i}`,
        latitude: i,
        longitude: 0,
        recordedAt: "2026-11-26T00:00:00.000Z",
      });
    }
    await device.client.close();
    const client = createClient({ url: device.database });
    const seen: string[] = [];
    try {
      const piece = await createWriter(client).run((tx) =>
        nextPiece(scrambling(tx, seen), exampleModel, 1_000, 100),
      );
      expect(piece?.seqs).toEqual([1, 2, 3, 4, 5]);
      expect(piece?.tempKeys).toEqual([1, 2, 3, 4, 5].map((k) => `location\u0000${-k}`));
      const operations = JSON.parse(Buffer.from(piece?.operationsJson ?? []).toString("utf8"));
      expect(operations.map((op: { eventId: string }) => op.eventId)).toEqual([
        "1",
        "2",
        "3",
        "4",
        "5",
      ]);
      // The unordered query first, then the ordered one.
      expect(seen.map((sql) => sql.includes("ORDER BY seq)"))).toEqual([false, true]);
    } finally {
      client.close();
      await device.reopen();
    }
  });
});
