// Many devices made from one template, each sending to one of some endpoints (scenarios 7 and 11).
import { join } from "node:path";
import { createNodeFetch, createSyncClient, type NodeFetch } from "../client/index.ts";
import { copyTemplate, type DeviceTemplate } from "./fixtures.ts";

/** What many devices sending at once to some endpoints measured. */
export interface DevicesSent {
  readonly seconds: number;
  readonly applied: number;
  readonly batches: number;
  /** Sends that threw, rejected operations, and operations that did not arrive (short sends). */
  readonly errors: number;
  /** The distinct messages of the sends that threw, with how many threw each. */
  readonly messages: ReadonlyMap<string, number>;
  readonly latenciesMs: readonly number[];
}

/**
 * `devices` copies of the template under client ids of their own, device i sending to
 * `endpoints[i % endpoints.length]` with its own keep-alive sockets, no retries. `send()` sends
 * them all at once (call it once); `close()` closes the clients.
 */
export async function prepareDevices(
  dir: string,
  template: DeviceTemplate,
  endpoints: readonly string[],
  devices: number,
  tag: string,
): Promise<{ send(): Promise<DevicesSent>; close(): Promise<void> }> {
  const latenciesMs: number[] = [];
  const fetches: NodeFetch[] = [];
  const clients = await Promise.all(
    Array.from({ length: devices }, async (_, i) => {
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
          join(dir, `device-${tag}-${i}.db`),
          `bench-device-${tag}-${i}`,
        ),
        endpoint: endpoints[i % endpoints.length] ?? "",
        fetch: timedFetch,
        maxOperationsPerRequest: 1000,
        retry: { retries: 0 },
      });
    }),
  );
  return {
    async send() {
      const messages = new Map<string, number>();
      const started = performance.now();
      const reports = await Promise.all(
        clients.map((client) =>
          client.send().catch((error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            messages.set(message, (messages.get(message) ?? 0) + 1);
            return undefined;
          }),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      let applied = 0;
      let batches = 0;
      let errors = 0;
      for (const report of reports) {
        if (report === undefined) {
          errors += 1;
          continue;
        }
        applied += report.applied;
        batches += report.batches;
        errors += report.rejected + Math.max(0, template.operations - report.applied);
      }
      return { seconds, applied, batches, errors, messages, latenciesMs };
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      for (const own of fetches) own.close();
    },
  };
}
