import { afterEach, describe, expect, it } from "vitest";
import { type FaultProxy, startFaultProxy } from "../test-utils/fault-proxy.ts";
import { faultyFetch } from "../test-utils/faulty-fetch.ts";
import { type HttpTestServer, startHttpServer } from "../test-utils/http-server.ts";
import { expectAgreement } from "../test-utils/invariants.ts";
import { seededRandom } from "../test-utils/seeded-random.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import { writeWorkload } from "../test-utils/workload.ts";

let server: HttpTestServer | undefined;
let proxy: FaultProxy | undefined;
let device: TestDevice | undefined;
afterEach(async () => {
  await device?.close();
  await proxy?.close();
  await server?.close();
  device = proxy = server = undefined;
});

/** Calls send() until the outbox is empty, at most `rounds` times; returns the calls made. */
async function sendUntilEmpty(d: TestDevice, rounds: number): Promise<number> {
  for (let round = 1; round <= rounds; round++) {
    const done = await d.client.send().then(
      () => true,
      (error: { code?: string }) => {
        expect(["NETWORK", "SERVER"]).toContain(error.code);
        return false;
      },
    );
    if (done && (await d.client.events({ status: "pending", limit: 1 })).length === 0) return round;
  }
  throw new Error(`the outbox was not empty after ${rounds} sends`);
}

describe("network faults", () => {
  it("loses 30% of answers after the server committed: 5,000 events, a checkpoint every 50", async () => {
    server = await startHttpServer();
    const random = seededRandom(2026);
    proxy = await startFaultProxy(server.endpoint, () =>
      random() < 0.3 ? "drop-answer" : "forward",
    );
    device = await openTestDevice(proxy.endpoint, {
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    });
    const events = await device.client.transaction((w) =>
      writeWorkload(w, { events: 5000, checkpointEvery: 50, seed: 1 }),
    );
    const sends = await sendUntilEmpty(device, 200);
    expect(proxy.counts["drop-answer"]).toBeGreaterThan(30);
    await expectAgreement(device.rows, server.rows, device.client.clientId);
    const batches = await server.rows("SELECT count(*) AS n FROM sync_batch");
    expect(Number(batches[0]?.n)).toBeLessThanOrEqual(Math.ceil(events / 50) + 1);
    console.info(
      `lost answers: ${events} events, ${proxy.counts.requests} requests, ${proxy.counts["drop-answer"]} answers dropped, ${sends} send() calls`,
    );
  });

  it("delivers every request twice, one after the other or at the same time: applied once", async () => {
    server = await startHttpServer();
    const random = seededRandom(7);
    proxy = await startFaultProxy(server.endpoint, () =>
      random() < 0.5 ? "duplicate" : "duplicate-concurrent",
    );
    device = await openTestDevice(proxy.endpoint);
    const events = await device.client.transaction((w) =>
      writeWorkload(w, { events: 2000, checkpointEvery: 40, seed: 2 }),
    );
    const report = await device.client.send();
    expect(report.applied).toBe(events);
    // Every duplicate delivered one after the other came back as the stored answer.
    expect(proxy.counts.duplicate).toBeGreaterThan(5);
    expect(proxy.counts["duplicate-concurrent"]).toBeGreaterThan(5);
    expect(proxy.replays.filter((replayed) => replayed).length).toBe(proxy.counts.requests);
    await expectAgreement(device.rows, server.rows, device.client.clientId);
    console.info(
      `duplicates: ${events} events, ${proxy.counts.duplicate} sequential and ${proxy.counts["duplicate-concurrent"]} concurrent duplicates`,
    );
  });

  it("mixes refused connections, lost answers and garbage answers with random checkpoints", async () => {
    server = await startHttpServer();
    const random = seededRandom(99);
    const faults = faultyFetch(() => {
      const roll = random();
      return roll < 0.1 ? "refuse" : roll < 0.2 ? "drop-answer" : roll < 0.25 ? "garbage" : "ok";
    });
    device = await openTestDevice(server.endpoint, {
      fetch: faults.fetch,
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
    });
    await device.client.transaction((w) =>
      writeWorkload(w, { events: 3000, checkpointChance: 0.03, seed: 3 }),
    );
    for (let round = 0; round < 300; round++) {
      const ok = await device.client.send().then(
        () => true,
        (error: { code?: string }) => {
          expect(["NETWORK", "ANSWER_MISMATCH"]).toContain(error.code);
          return false;
        },
      );
      if (ok && (await device.client.events({ status: "pending", limit: 1 })).length === 0) break;
    }
    expect(
      faults.injected.garbage + faults.injected.refuse + faults.injected["drop-answer"],
    ).toBeGreaterThan(10);
    await expectAgreement(device.rows, server.rows, device.client.clientId);
    console.info(
      `mixed faults: ${faults.injected.refuse} refused, ${faults.injected["drop-answer"]} answers lost, ${faults.injected.garbage} garbage answers`,
    );
  });
});
