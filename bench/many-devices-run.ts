import { join } from "node:path";
import { createNodeFetch, createSyncClient, type NodeFetch } from "../client/index.ts";
import { startServerProcess } from "../test-utils/server-process.ts";
import { copyTemplate, type DeviceTemplate } from "./fixtures.ts";
import { warmUpServer } from "./warm-up-server.ts";

/** What many devices sending at once measured. */
export interface ManyDevicesRun {
  readonly operationsPerSecond: number;
  readonly latenciesMs: readonly number[];
  readonly errors: number;
}

/** `devices` copies of the template, under their own client ids, all sending at once to one server. */
export async function manyDevicesRun(
  dir: string,
  template: DeviceTemplate,
  devices: number,
  run: number,
  warmUp: readonly DeviceTemplate[] = [],
): Promise<ManyDevicesRun> {
  const tag = `${Date.now()}-${run}`;
  const server = await startServerProcess(`file:${join(dir, `many-server-${tag}.db`)}`);
  try {
    await warmUpServer(dir, server.endpoint, warmUp, tag);
    const latenciesMs: number[] = [];
    const fetches: NodeFetch[] = [];
    const clients = await Promise.all(
      Array.from({ length: devices }, async (_, i) => {
        // Each device sends with the client's default fetch, which resolves with the whole answer.
        const own = createNodeFetch();
        fetches.push(own);
        const timedFetch: typeof fetch = async (input, init) => {
          const started = performance.now();
          const response = await own(input, init);
          latenciesMs.push(performance.now() - started);
          return response;
        };
        return createSyncClient({
          database: await copyTemplate(
            template,
            join(dir, `many-device-${tag}-${i}.db`),
            `bench-device-${tag}-${i}`,
          ),
          endpoint: server.endpoint,
          fetch: timedFetch,
          maxOperationsPerRequest: 1000,
          retry: { retries: 0 },
        });
      }),
    );
    let errors = 0;
    const started = performance.now();
    const reports = await Promise.all(
      clients.map((client) =>
        client.send().catch(() => {
          errors += 1;
          return { applied: 0, rejected: 0 };
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(clients.map((client) => client.close()));
    for (const own of fetches) own.close();
    const applied = reports.reduce((sum, report) => sum + report.applied, 0);
    errors += reports.reduce((sum, report) => sum + report.rejected, 0);
    if (applied + errors === 0) errors += 1;
    return { operationsPerSecond: applied / seconds, latenciesMs, errors };
  } finally {
    await server.stop();
  }
}
