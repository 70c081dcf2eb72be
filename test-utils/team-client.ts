import { createClient } from "@libsql/client";
import { createNodeFetch, createSyncClient, type SyncClient } from "../client/index.ts";
import { type TeamTables, teamModel, teamTablesSql } from "./team-model.ts";

/** A client of the team model on one device file, and the page requests it has sent. */
export interface TeamClient {
  readonly client: SyncClient<TeamTables>;
  /**
   * The cursor of each `syncChanges` request sent, in order (null: from the start). Read-ahead
   * requests count too, so a receive of N pages sends N requests (one more if it was stopped).
   */
  readonly pageCursors: ReadonlyArray<string | null>;
  /** Closes the client and its keep-alive sockets. */
  close(): Promise<void>;
}

/** The request body as text: the transport sends JSON as a string (or bytes). */
const bodyText = (init: RequestInit | undefined): string => {
  const body = init?.body;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return "";
};

/** The cursor a `syncChanges` request asks after, or undefined when the body is another request. */
function pageCursor(text: string): string | null | undefined {
  if (!text.includes("syncChanges")) return undefined;
  const parsed = JSON.parse(text) as { variables?: { input?: { cursor?: string | null } } };
  return parsed.variables?.input?.cursor ?? null;
}

/**
 * Opens a team-model device on the database file `path` (its tables created with SQL first, as
 * `openTeamDevice` in team-device.ts does), sending to `endpoint`. Unlike
 * `openTeamDevice` it takes the file's path and the endpoint as plain strings, so a child process
 * can open the same device from its argv, and it logs page requests, so a test can see where a
 * receive resumed.
 */
export async function openTeamClient(
  path: string,
  clientId: string,
  endpoint: string,
): Promise<TeamClient> {
  const database = `file:${path}`;
  const setup = createClient({ url: database });
  for (const sql of teamTablesSql) await setup.execute(sql);
  setup.close();
  const own = createNodeFetch();
  const pageCursors: Array<string | null> = [];
  const logged: typeof fetch = (input, init) => {
    const cursor = pageCursor(bodyText(init));
    if (cursor !== undefined) pageCursors.push(cursor);
    return own(input, init);
  };
  const client = await createSyncClient<TeamTables>({
    database,
    endpoint,
    model: teamModel,
    clientId,
    fetch: logged,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
  });
  return {
    client,
    pageCursors,
    async close() {
      await client.close();
      own.close();
    },
  };
}
