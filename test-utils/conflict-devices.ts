import { join } from "node:path";
import { createClient } from "@libsql/client";
import { createSyncClient, type SyncClient } from "../client/index.ts";
import type { CustomResolver } from "../schema/index.ts";
import { conflictModel, type conflictTables, conflictTablesSql } from "./conflict-model.ts";
import { type HttpTestServer, startHttpServer } from "./http-server.ts";
import { tempDir } from "./temp-dir.ts";

type Tables = typeof conflictTables;

/** A server of the conflict model and two devices, `a` and `b`, on files of their own. */
export interface ConflictDevices {
  readonly server: HttpTestServer;
  readonly a: SyncClient<Tables>;
  readonly b: SyncClient<Tables>;
}

/**
 * Starts {@link ConflictDevices} on demand (`setup`, the custom policy deciding through
 * `resolve`), each in files of its own under one temporary folder; `closeAll` (for `afterEach`)
 * closes what was started, `remove` (for `afterAll`) the folder.
 */
export function conflictDevices(prefix: string, resolve: CustomResolver) {
  const files = tempDir(prefix);
  const open: Array<{ close(): Promise<void> }> = [];
  let run = 0;
  return {
    async setup(): Promise<ConflictDevices> {
      run += 1;
      const server = await startHttpServer({
        reuseDatabase: `file:${join(files.path, `server-${run}.db`)}`,
        model: conflictModel(resolve),
        tables: conflictTablesSql,
      });
      open.push(server);
      const device = async (name: string): Promise<SyncClient<Tables>> => {
        const database = `file:${join(files.path, `${name}-${run}.db`)}`;
        const raw = createClient({ url: database });
        for (const sql of conflictTablesSql) await raw.execute(sql);
        raw.close();
        const client = await createSyncClient<Tables>({
          database,
          endpoint: server.endpoint,
          model: conflictModel(resolve),
          clientId: name,
        });
        open.push(client);
        return client;
      };
      return { server, a: await device("a"), b: await device("b") };
    },
    async closeAll(): Promise<void> {
      for (const item of open.splice(0).reverse()) await item.close();
    },
    remove: () => files.remove(),
  };
}
