import { afterEach, expect } from "vitest";
import { insert } from "./operations.ts";
import { sendBatch, type WireChange } from "./receive.ts";
import { startTestServer, type TestServer, type TestServerOptions } from "./test-server.ts";

const servers: TestServer[] = [];
/** Cleanups a test registers (temporary folders): run after it, with its servers closed. */
export const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A test server closed after the test. */
export async function start(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

/** Inserts customers named `names` in one batch; answers their server keys. */
export async function customers(
  server: TestServer,
  batchId: string,
  names: string[],
): Promise<number[]> {
  const answer = await sendBatch(
    server,
    "writer",
    batchId,
    names.map((name, i) => insert("customer", -(i + 1), { name })),
  );
  expect(answer.results.map((r) => r.status)).toEqual(names.map(() => "APPLIED"));
  return answer.keyMappings.map((m) => Number(m.serverKey));
}

/** Changes sorted by table and key (the changes of one batch share a commit). */
export const byKey = (changes: readonly WireChange[]) =>
  changes.toSorted((a, b) => `${a.table}:${a.key}`.localeCompare(`${b.table}:${b.key}`));

/** A customer's UPSERT as a page carries it. */
export const customer = (
  key: number,
  version: number,
  name: string,
  email: string | null = null,
) => ({
  table: "customer",
  key: String(key),
  kind: "UPSERT",
  version,
  data: { name, email },
});

/** A DELETE as a page carries it. */
export const deleted = (table: string, key: number | string, version: number) => ({
  table,
  key: String(key),
  kind: "DELETE",
  version,
  data: null,
});
