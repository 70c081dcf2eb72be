import { join } from "node:path";
import { createTransport } from "../client/create-transport.ts";
import { createSyncClient } from "../client/index.ts";
import { resolveOptions } from "../client/resolve-options.ts";
import {
  copyTemplate,
  type DeviceTemplate,
  locationTemplate,
  relatedTemplate,
} from "./fixtures.ts";

/**
 * The devices that warm up a fresh server process before a measured send: by default 20 requests
 * of location fixes and 13 of related rows (a checkpoint every 1,000 events). A production server
 * runs for long; a new process spends its first dozen requests compiling (graphql-jit's compiled
 * query, V8's optimised code), at about three times the steady cost of a request.
 */
export async function warmUpTemplates(
  dir: string,
  { locations = 20_000, customers = 1_000 } = {},
): Promise<DeviceTemplate[]> {
  return [
    await locationTemplate(dir, locations, 1000),
    await relatedTemplate(dir, customers, 1000),
  ];
}

/** Sends each warm-up device to the server under a client id of its own, then removes nothing. */
export async function warmUpServer(
  dir: string,
  endpoint: string,
  templates: readonly DeviceTemplate[],
  tag: string,
): Promise<void> {
  for (const [i, template] of templates.entries()) {
    const database = await copyTemplate(
      template,
      join(dir, `warm-up-${tag}-${i}.db`),
      `warm-up-${tag}-${i}`,
    );
    const client = await createSyncClient({ database, endpoint });
    try {
      await client.send();
    } finally {
      await client.close();
    }
  }
}

/**
 * Warms up a fresh server process before a measured receive, as `warmUpServer` does before a
 * send: another client id reads up to `pages` pages from the start (the same query a device sends),
 * and the server's state is left as it was (a read writes nothing in open mode).
 */
export async function warmUpReceive(dir: string, endpoint: string, pages = 20): Promise<void> {
  const transport = createTransport(
    resolveOptions({ database: `file:${join(dir, "warm-up-receive.db")}`, endpoint }),
  );
  try {
    let cursor: string | null = null;
    for (let page = 0; page < pages; page++) {
      const answer = await transport.changes("warm-up-receive", { cursor, limit: undefined }, {});
      if (!answer.hasMore) break;
      cursor = answer.cursor;
    }
  } finally {
    transport.close();
  }
}
