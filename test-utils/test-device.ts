import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { createSyncClient, type SyncClient, type SyncClientOptions } from "../client/index.ts";
import type { ExampleTables, SyncModel } from "../schema/index.ts";
import { tempDir } from "./temp-dir.ts";

/** A sync client on a device file in a temporary folder, plus a raw reader of that file. */
export interface TestDevice {
  readonly client: SyncClient<ExampleTables>;
  readonly database: string;
  rows(sql: string, args?: Array<string | number | null>): Promise<Array<Record<string, unknown>>>;
  /** Closes the client (keeps the file, to reopen it). */
  closeClient(): Promise<void>;
  /** Opens a new client on the same file, as a restarted app does. */
  reopen(
    options?: Partial<SyncClientOptions<SyncModel<ExampleTables>>>,
  ): Promise<SyncClient<ExampleTables>>;
  close(): Promise<void>;
}

/** Opens a device against `endpoint`; options go to `createSyncClient`. */
export async function openTestDevice(
  endpoint: string,
  options: Partial<SyncClientOptions<SyncModel<ExampleTables>>> = {},
): Promise<TestDevice> {
  const dir = tempDir("sync-device-");
  const database = `file:${join(dir.path, "device.db")}`;
  const defaults = { database, endpoint, retry: { retries: 2, minDelayMs: 5, maxDelayMs: 20 } };
  let client = await createSyncClient<ExampleTables>({ ...defaults, ...options });
  let reader: Client | undefined;
  return {
    get client() {
      return client;
    },
    database,
    async rows(sql, args = []) {
      reader ??= createClient({ url: database });
      return (await reader.execute({ sql, args })).rows as unknown as Array<
        Record<string, unknown>
      >;
    },
    closeClient: () => client.close(),
    async reopen(more: Partial<SyncClientOptions<SyncModel<ExampleTables>>> = {}) {
      client = await createSyncClient<ExampleTables>({ ...defaults, ...options, ...more });
      return client;
    },
    async close() {
      reader?.close();
      await client.close();
      dir.remove();
    },
  };
}
