import { expect } from "vitest";
import { queryFile } from "./device-file.ts";
import type { HostileWorld } from "./hostile-world.ts";
import type { TestServer } from "./test-server.ts";

// The checks of every hostile case: the request sent raw (status, code, body as text), and both
// databases (the server's and the device's file) compared table by table before and after.

type Rows = Array<Record<string, unknown>>;
/** Every table of a database, its rows as sorted JSON texts. */
export type Snapshot = Record<string, string[]>;

/** The server tables a case may change, each with the reason it is not a write of the request. */
export const allowedWrites = {
  /** A request that passed the binding took a token from its buckets (or a full one's row went). */
  rate: "sync_rate",
  /** A batch whose operations were all refused is still answered once: its stored answer. */
  answer: "sync_batch",
  /** A refused INSERT's temporary key is remembered as rejected (its dependents follow). */
  rejectedKey: "sync_rejected_key",
  /** So is a refused INSERT's device-made key (UUID), for this client only. */
  rejectedRow: "sync_rejected_row",
  /**
   * A refused write of a row the client reads is sent back to it: the row's change sequence moves
   * (sync_row's seq, the store's last sequence in sync_meta, the commit's mark), never its values,
   * version or scope.
   */
  giveBack: ["sync_row", "sync_meta", "sync_commit"],
} as const;

/**
 * Tables whose every change is a write the battery forbids, whatever a case allows: the app's rows
 * and the clientId bindings (sync_row and the rest are checked against each case's allowance).
 */
const neverWritten = ["tag", "project", "task", "comment", "sync_client"];

/**
 * Written by any request that inserts autonumbered rows, refused or not: the PostgreSQL store
 * reserves server keys on a connection of its own and never hands them out again (a refused
 * INSERT burns its keys). A counter per table, it holds nothing of any row.
 */
const keyCounters = ["sync_key_block"];

async function snapshotOf(
  read: (sql: string) => Promise<Rows>,
  tables: readonly string[],
): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const name of tables) {
    const rows = await read(`SELECT * FROM "${String(name)}"`);
    out[String(name)] = rows.map((row) => JSON.stringify({ ...row })).sort();
  }
  return out;
}

const serverRows = (server: TestServer) => async (sql: string) =>
  (await server.rows(sql)).map((row) => ({ ...row }));

/** Both databases of the world: every table of the server's and of the device's file. */
export async function snapshotBoth(world: HostileWorld) {
  return {
    server: await snapshotOf(serverRows(world.server), await world.server.tableNames()),
    device: await snapshotOf(
      (sql) => queryFile(world.devicePath, sql),
      (
        await queryFile(
          world.devicePath,
          "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        )
      ).map(({ name }) => String(name)),
    ),
  };
}

const changedTables = (before: Snapshot, after: Snapshot) =>
  [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (table) => JSON.stringify(before[table]) !== JSON.stringify(after[table]),
  );

/**
 * Runs `act` between two snapshots of both databases; the device's file must be unchanged, and
 * the server's too but for the `allowed` tables (never an app table, sync_row or sync_client).
 * Answers what `act` answered and the server tables that changed.
 */
export async function nothingWritten<T>(
  world: HostileWorld,
  act: () => Promise<T>,
  allowed: readonly string[] = [],
): Promise<T & { changed: string[] }> {
  const before = await snapshotBoth(world);
  const result = await act();
  const after = await snapshotBoth(world);
  expect(changedTables(before.device, after.device), "device tables changed").toEqual([]);
  const changed = changedTables(before.server, after.server);
  expect(
    changed.filter((t) => neverWritten.includes(t)),
    "forbidden server writes",
  ).toEqual([]);
  expect(
    changed.filter((t) => !allowed.includes(t) && !keyCounters.includes(t)),
    "server tables changed",
  ).toEqual([]);
  return { ...result, changed };
}

/** A raw answer: its HTTP status, first error code, Retry-After and body text. */
export interface RawAnswer {
  readonly status: number;
  readonly code: string | null;
  readonly retryAfter: string | null;
  readonly text: string;
  readonly json: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
}

/** Sends a raw request through the server's own fetch (no client in between). */
export async function send(
  server: TestServer,
  body: unknown,
  headers: Record<string, string> = {},
  url = "http://127.0.0.1/graphql",
): Promise<RawAnswer> {
  const response = await server.sync.yoga.fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: RawAnswer["json"] = {};
  try {
    json = JSON.parse(text) as RawAnswer["json"];
  } catch {
    // A body that is not JSON is kept as text for the case to look at.
  }
  return {
    status: response.status,
    code: json.errors?.[0]?.extensions?.code ?? null,
    retryAfter: response.headers.get("retry-after"),
    text,
    json,
  };
}

/** `[status, code]` of an answer, the pair every case asserts exactly. */
export const verdict = (answer: RawAnswer): [number, string | null] => [answer.status, answer.code];

/** The codes of a syncBatch answer's results (APPLIED for an applied operation). */
export function resultCodes(answer: RawAnswer): string[] {
  const batch = answer.json.data?.syncBatch as
    | { results: Array<{ status: string; error: { code: string } | null }> }
    | undefined;
  return (batch?.results ?? []).map((r) => r.error?.code ?? r.status);
}
