import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { createSyncClient, type RetryOptions, type SyncClient } from "../client/index.ts";
import { type RoutedFaultFetch, routedFaultFetch } from "./routed-fault-fetch.ts";
import { type TeamTables, teamModel, teamTablesSql } from "./team-model.ts";

/** A device of the team model: its client, its file, a raw reader of the file, its faulty fetch. */
export interface TeamDevice {
  readonly client: SyncClient<TeamTables>;
  readonly clientId: string;
  readonly database: string;
  readonly net: RoutedFaultFetch;
  rows(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Closes the client and opens a new one on the same file, as a restarted app does. */
  reopen(): Promise<SyncClient<TeamTables>>;
  close(): Promise<void>;
}

/**
 * Opens a device in `folder` (its tables created with SQL first), sending to `target()`, the
 * endpoint of the server running now.
 */
export async function openTeamDevice(
  folder: string,
  clientId: string,
  target: () => string,
  retry: RetryOptions = { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
): Promise<TeamDevice> {
  const database = `file:${join(folder, `${clientId}.db`)}`;
  const setup = createClient({ url: database });
  for (const sql of teamTablesSql) await setup.execute(sql);
  setup.close();
  const net = routedFaultFetch(target);
  const open = () =>
    createSyncClient<TeamTables>({
      database,
      endpoint: "http://sync.invalid/graphql",
      model: teamModel,
      clientId,
      fetch: net.fetch,
      retry,
    });
  let client = await open();
  const reader: Client = createClient({ url: database });
  return {
    get client() {
      return client;
    },
    clientId,
    database,
    net,
    async rows(sql) {
      return (await reader.execute(sql)).rows.map((row) => ({ ...row }));
    },
    async reopen() {
      await client.close();
      client = await open();
      return client;
    },
    async close() {
      await client.close();
      reader.close();
      net.close();
    },
  };
}
