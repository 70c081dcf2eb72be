import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ProxyAction, startFaultProxy } from "../test-utils/fault-proxy.ts";
import { startHttpServer } from "../test-utils/http-server.ts";
import { expectAgreement } from "../test-utils/invariants.ts";
import { tempDir } from "../test-utils/temp-dir.ts";
import { openTestDevice } from "../test-utils/test-device.ts";
import { writeWorkload } from "../test-utils/workload.ts";

/** The faults of the battery's kinds 1–4, in-process: lost answers, duplicates, restarts. */
const faultKinds = [
  "lost-answer",
  "duplicate",
  "duplicate-concurrent",
  "server-restart",
  "client-restart",
  "none",
] as const;
type Fault = (typeof faultKinds)[number];

/** Fixed seed, fixed count: CI replays the same histories every time. */
const runs = 40;

const history = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  chunks: fc.array(
    fc.record({
      events: fc.integer({ min: 1, max: 120 }),
      checkpointChance: fc.double({ min: 0, max: 0.4, noNaN: true }),
      fault: fc.constantFrom(...faultKinds),
    }),
    { minLength: 1, maxLength: 6 },
  ),
  maxOperationsPerRequest: fc.integer({ min: 1, max: 60 }),
});

describe("randomised histories", () => {
  it("end with the server equal to the device's events applied once, in order", async () => {
    let faultsInjected = 0;
    let eventsWritten = 0;
    await fc.assert(
      fc.asyncProperty(history, async ({ seed, chunks, maxOperationsPerRequest }) => {
        const files = tempDir();
        let server = await startHttpServer({
          reuseDatabase: `file:${join(files.path, "server.db")}`,
        });
        let next: Fault = "none";
        const proxy = await startFaultProxy(server.endpoint, (): ProxyAction => {
          const action: ProxyAction =
            next === "lost-answer"
              ? "drop-answer"
              : next === "duplicate" || next === "duplicate-concurrent"
                ? next
                : "forward";
          if (action !== "forward") {
            next = "none";
            faultsInjected += 1;
          }
          return action;
        });
        const device = await openTestDevice(proxy.endpoint, {
          maxOperationsPerRequest,
          retry: { retries: 0 },
        });
        try {
          for (const [index, chunk] of chunks.entries()) {
            eventsWritten += await device.client.transaction((w) =>
              writeWorkload(w, {
                events: chunk.events,
                checkpointChance: chunk.checkpointChance,
                seed: seed + index,
              }),
            );
            next = chunk.fault;
            if (chunk.fault === "server-restart") {
              const { url } = server;
              await server.close();
              server = await startHttpServer({ reuseDatabase: url });
              proxy.setTarget(server.endpoint);
              faultsInjected += 1;
            } else if (chunk.fault === "client-restart") {
              await device.closeClient();
              await device.reopen();
              faultsInjected += 1;
            }
            await device.client.send().catch((error: { code?: string }) => {
              if (!["NETWORK", "SERVER"].includes(error.code ?? "")) console.error(error);
              expect(["NETWORK", "SERVER"]).toContain(error.code);
            });
          }
          next = "none";
          for (let round = 0; round < 5; round++) {
            const done = await device.client.send().then(
              () => true,
              () => false,
            );
            if (done && (await device.client.events({ status: "pending", limit: 1 })).length === 0)
              break;
          }
          await expectAgreement(device.rows, server.rows, device.client.clientId);
        } finally {
          await device.close();
          await proxy.close();
          await server.close();
          files.remove();
        }
      }),
      { seed: 20261126, numRuns: runs, endOnFailure: true },
    );
    console.info(
      `random histories: ${runs} runs, ${eventsWritten} events, ${faultsInjected} faults injected`,
    );
  });
});
