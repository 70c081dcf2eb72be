import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../test-utils/temp-dir.ts";
import { rowIdentity } from "../writer/row-identity.ts";
import type { CheckedAnswer } from "./check-answer.ts";
import { currentKeySql } from "./current-key-sql.ts";
import type { DeviceDatabase, DeviceTransaction } from "./device-database.ts";
import { createSyncClient } from "./index.ts";
import type { Batch } from "./next-batch.ts";
import { openNodeDeviceDatabase } from "./node-device-database.ts";
import { recordVersions, versionedRows } from "./record-versions.ts";

/** The rule written as one statement over every entry, row by row: what the fast paths must match. */
const referenceSql = `INSERT INTO sync_row_version (table_name, row_key, version)
  SELECT t, k, max(v) FROM (
    SELECT value ->> 0 AS t, ${currentKeySql("value ->> 0", "value ->> 1")} AS k, value ->> 2 AS v
    FROM json_each(?))
  GROUP BY t, k
  HAVING min(v) - 1 = coalesce((SELECT max(known.version, 0) FROM sync_row_version known
                                WHERE known.table_name = t AND known.row_key = k), 0)
  ON CONFLICT (table_name, row_key) DO UPDATE SET version = max(version, excluded.version)`;

interface Case {
  /** Versions known before the answer: [table, key, version]. */
  known: Array<[string, string, number]>;
  /** Mappings logged by earlier answers: [table, temporary key, server key]. */
  logged: Array<[string, number, number]>;
  /** The batch's events: [kind, table, key as sent]. */
  events: Array<[string, string, string]>;
  /** Per event: the answer's version (null: none given). */
  versions: Array<number | null>;
  /** This answer's mappings, by table. */
  mappings: Map<string, Array<readonly [number, number]>>;
}

/** A small seeded generator, so a failure repeats. */
function random(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

function makeCase(seed: number): Case {
  const pick = random(seed);
  const c: Case = { known: [], logged: [], events: [], versions: [], mappings: new Map() };
  // Server keys 1..6 exist; temporary keys -1..-8, some mapped by earlier answers to 11..
  // Keys 3 and 6, when known, are forgotten (negative: a rejected write of theirs).
  for (let key = 1; key <= 6; key++) {
    const sign = key % 3 === 0 ? -1 : 1;
    if (pick(2) === 0) c.known.push(["location", String(key), sign * (1 + pick(3))]);
  }
  for (let temp = -1; temp >= -8; temp--) {
    if (pick(4) === 0) c.logged.push(["location", temp, 10 - temp]);
  }
  for (const key of ["a", "b"]) if (pick(2) === 0) c.known.push(["note", key, 1 + pick(3)]);
  let server = 100;
  const pairs: Array<readonly [number, number]> = [];
  const count = 1 + pick(10);
  for (let i = 0; i < count; i++) {
    const choice = pick(10);
    let event: [string, string, string];
    if (choice < 5) {
      // A key inserted twice in one batch has one server key (checkAnswer refuses two).
      const temp = -1 - pick(8);
      event = ["insert", "location", String(temp)];
      pairs.push([temp, pairs.find(([t]) => t === temp)?.[1] ?? server++]);
    } else if (choice < 7) {
      event = [pick(2) ? "update" : "delete", "location", String(-1 - pick(8))];
    } else if (choice < 8) {
      event = [pick(2) ? "update" : "delete", "location", String(1 + pick(6))];
    } else {
      event = [pick(3) ? "update" : "insert", "note", pick(2) ? "a" : "b"];
    }
    c.events.push(event);
    c.versions.push(pick(6) === 0 ? null : 1 + pick(4));
  }
  // Most inserts are answered at version 1, as the server does.
  c.events.forEach(([kind, table], i) => {
    if (kind === "insert" && table === "location" && pick(5) > 0) c.versions[i] = 1;
  });
  if (pairs.length > 0) c.mappings.set("location", pairs);
  return c;
}

let dir: ReturnType<typeof tempDir>;
let database: DeviceDatabase;

beforeAll(async () => {
  dir = tempDir("record-versions-");
  const path = join(dir.path, "device.db");
  await (
    await createSyncClient({ database: `file:${path}`, endpoint: "http://127.0.0.1:9/graphql" })
  ).close();
  database = await openNodeDeviceDatabase({ path, busyTimeoutMs: 1000 });
});
afterAll(async () => {
  await database.close();
  dir.remove();
});

/** Sets up a case; returns its batch and answer. */
async function setUp(tx: DeviceTransaction, c: Case): Promise<[Batch, CheckedAnswer]> {
  await tx.batch([
    "DELETE FROM sync_row_version",
    "DELETE FROM sync_mapped_run",
    "DELETE FROM sync_outbox",
  ]);
  for (const [table, key, version] of c.known) {
    await tx.execute({
      sql: "INSERT INTO sync_row_version VALUES (?, ?, ?)",
      args: [table, key, version],
    });
  }
  for (const [table, temp, server] of c.logged) {
    await tx.execute({
      sql: "INSERT INTO sync_mapped_run (table_name, first_client, last_client, first_server) VALUES (?, ?, ?, ?)",
      args: [table, temp, temp, server],
    });
  }
  const seqs: number[] = [];
  const tempKeys: Array<string | null> = [];
  for (const [i, [kind, table, key]] of c.events.entries()) {
    seqs.push(i + 1);
    tempKeys.push(kind === "insert" && table === "location" ? rowIdentity(table, key) : null);
    await tx.execute({
      sql: "INSERT INTO sync_outbox (seq, kind, table_name, row_key, operation) VALUES (?, ?, ?, ?, '{}')",
      args: [i + 1, kind, table, key],
    });
  }
  const versions = c.versions.flatMap((v, i) => (v === null ? [] : [[i + 1, v] as const]));
  const batch: Batch = {
    batchId: "b",
    batchSeq: 1,
    operationsJson: new Uint8Array(),
    seqs,
    tempKeys,
    checkpointSeq: null,
    fresh: false,
  };
  const answer: CheckedAnswer = {
    applied: seqs,
    rejected: [],
    mappings: c.mappings,
    mappingCount: c.mappings.get("location")?.length ?? 0,
    versions,
    conflicts: [],
  };
  return [batch, answer];
}

/** Logs this answer's mappings as applyAnswer does (a logged key keeps its mapping); the relogged keys. */
async function logMappings(tx: DeviceTransaction, c: Case): Promise<Map<string, Set<number>>> {
  const relogged = new Map<string, Set<number>>();
  const loggedKeys = new Set(c.logged.map(([, temp]) => temp));
  const done = new Set<number>();
  for (const [temp, server] of c.mappings.get("location") ?? []) {
    if (loggedKeys.has(temp)) {
      relogged.set("location", (relogged.get("location") ?? new Set()).add(temp));
      continue;
    }
    if (done.has(temp)) continue;
    done.add(temp);
    await tx.execute({
      sql: "INSERT INTO sync_mapped_run (table_name, first_client, last_client, first_server) VALUES ('location', ?, ?, ?)",
      args: [temp, temp, server],
    });
  }
  return relogged;
}

async function versionsAfter(c: Case, way: "reference" | "recordVersions") {
  return database.transaction(async (tx) => {
    const [batch, answer] = await setUp(tx, c);
    if (way === "reference") {
      const { rows } = await tx.execute({
        sql: `SELECT json_group_array(json_array(o.table_name, o.row_key, j.value ->> 1))
              FROM json_each(?) AS j JOIN sync_outbox o ON o.seq = j.value ->> 0`,
        args: [JSON.stringify(answer.versions)],
      });
      await logMappings(tx, c);
      await tx.execute({ sql: referenceSql, args: [String(rows[0]?.[0])] });
    } else {
      const rows = await versionedRows(tx, batch, answer);
      const relogged = await logMappings(tx, c);
      await recordVersions(tx, rows, answer.mappings, relogged);
    }
    const { rows } = await tx.execute(
      "SELECT table_name, row_key, version FROM sync_row_version ORDER BY 1, 2",
    );
    return rows.map((row) => row.join(" "));
  });
}

describe("recordVersions", () => {
  it("records what the row-by-row rule records, in 300 generated answers", async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const c = makeCase(seed);
      const expected = await versionsAfter(c, "reference");
      expect({ seed, versions: await versionsAfter(c, "recordVersions") }).toEqual({
        seed,
        versions: expected,
      });
    }
  });

  it("takes a forgotten version (negative) for none: the answer's is recorded only after 0", async () => {
    const c: Case = {
      known: [
        ["location", "3", -2],
        ["location", "6", -4],
      ],
      logged: [],
      events: [
        ["update", "location", "3"],
        ["insert", "location", "6"],
      ],
      versions: [3, 1],
      mappings: new Map(),
    };
    const versions = await versionsAfter(c, "recordVersions");
    expect(versions).toEqual(["location 3 -2", "location 6 1"]);
    expect(versions).toEqual(await versionsAfter(c, "reference"));
  });

  it("records a batch of inserts into two tables in turn as version 1 of each server key", async () => {
    const pairs = (from: number, to: number, server: number) =>
      Array.from({ length: from - to + 1 }, (_, i) => [from - i, server + i] as const);
    const c: Case = {
      known: [["location", "500", 3]],
      logged: [],
      events: [],
      versions: [],
      mappings: new Map([["location", pairs(-1, -6, 498)]]),
    };
    for (let temp = -1; temp >= -6; temp--) {
      c.events.push(["insert", "location", String(temp)]);
      c.versions.push(1);
    }
    const versions = await versionsAfter(c, "recordVersions");
    // 500 was known at version 3: an insert's version 1 does not take it back.
    expect(versions).toEqual(
      ["498 1", "499 1", "500 3", "501 1", "502 1", "503 1"].map((v) => `location ${v}`),
    );
    expect(versions).toEqual(await versionsAfter(c, "reference"));
  });
});
