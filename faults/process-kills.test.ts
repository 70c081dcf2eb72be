import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type HttpTestServer, startHttpServer } from "../test-utils/http-server.ts";
import { expectAgreement, expectIntact } from "../test-utils/invariants.ts";
import { seededRandom } from "../test-utils/seeded-random.ts";
import { fileRows } from "../test-utils/server-and-device.ts";
import { type ServerProcess, startServerProcess } from "../test-utils/server-process.ts";
import { tempDir } from "../test-utils/temp-dir.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import { writeWorkload } from "../test-utils/workload.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const kills = 20;

describe("processes killed", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it(`survives the server SIGKILLed ${kills} times while a client sends`, async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const url = `file:${join(dir.path, "server.db")}`;
    let server: ServerProcess = await startServerProcess(url);
    cleanups.push(() => server.stop());
    const port = new URL(server.endpoint).port;
    const device: TestDevice = await openTestDevice(server.endpoint, {
      maxOperationsPerRequest: 50,
      requestTimeoutMs: 10_000,
      retry: { retries: 1, minDelayMs: 5, maxDelayMs: 10 },
    });
    cleanups.push(() => device.close());
    const random = seededRandom(5);
    let events = 0;
    let killed = 0;
    for (let round = 0; killed < kills && round < 60; round++) {
      // More to send whenever the outbox ran dry, so every kill lands on a send under way.
      if ((await device.client.events({ status: "pending", limit: 1 })).length === 0) {
        events += await device.client.transaction((w) =>
          writeWorkload(w, { events: 1500, checkpointEvery: 25, seed: 11 + round }),
        );
      }
      let underWay: () => void = () => undefined;
      const firstBatch = new Promise<void>((resolve) => {
        underWay = resolve;
      });
      const sending = device.client
        .send({ onProgress: () => underWay() })
        .catch((error: { code?: string }) => {
          expect(["NETWORK", "SERVER"]).toContain(error.code);
        });
      // The kill lands while batches are being sent: after the first one, at a random moment.
      await Promise.race([firstBatch, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      await new Promise((resolve) => setTimeout(resolve, random() * 40));
      await server.kill();
      killed += 1;
      await expectIntact(fileRows(url), `server after kill ${killed}`);
      server = await startServerProcess(url, { PORT: port });
      await sending;
    }
    for (let round = 0; round < 20; round++) {
      const done = await device.client.send().then(
        () => true,
        () => false,
      );
      if (done && (await device.client.events({ status: "pending", limit: 1 })).length === 0) break;
    }
    await server.stop();
    await expectAgreement(device.rows, fileRows(url), device.client.clientId);
    console.info(`server kills: ${killed}, ${events} events`);
    expect(killed).toBe(kills);
  }, 240_000);

  it(`survives the client SIGKILLed ${kills} times during send(), also between an answer and its mappings`, async () => {
    const server: HttpTestServer = await startHttpServer();
    cleanups.push(() => server.close());
    const device = await openTestDevice(server.endpoint);
    cleanups.push(() => device.close());
    const events = await device.client.transaction((w) =>
      writeWorkload(w, { events: 10_000, checkpointEvery: 20, seed: 12 }),
    );
    await device.closeClient();
    const random = seededRandom(6);
    let killed = 0;
    let afterAnswer = 0;
    let done = false;
    while (!done) {
      expect(killed).toBeLessThanOrEqual(kills);
      const child: ChildProcess = spawn(
        process.execPath,
        ["--import", "tsx", "faults/client-child.ts", device.database, server.endpoint],
        { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
      );
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      const killAtAnswer = killed < kills && random() < 0.5 ? 1 + Math.floor(random() * 4) : 0;
      // Otherwise a kill at a random moment once send() is under way (after its first answer).
      const killAfterMs = killed < kills && killAtAnswer === 0 ? random() * 150 : -1;
      let answers = 0;
      let timer: NodeJS.Timeout | undefined;
      child.stdout?.on("data", (chunk: Buffer) => {
        const text = chunk.toString();
        if (text.includes("DONE")) done = true;
        answers += text.split("ANSWER").length - 1;
        if (killAtAnswer > 0 && answers >= killAtAnswer && child.exitCode === null) {
          child.kill("SIGKILL");
        }
        if (killAfterMs >= 0 && answers > 0 && !timer) {
          timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        }
      });
      const code = await exited;
      clearTimeout(timer);
      if (code === null && !done) {
        killed += 1;
        if (killAtAnswer > 0) afterAnswer += 1;
        await expectIntact(device.rows, `device after kill ${killed}`);
      } else {
        expect(code).toBe(0);
      }
    }
    expect(killed).toBe(kills);
    expect(afterAnswer).toBeGreaterThan(3);
    await device.reopen();
    await expectAgreement(device.rows, server.rows, device.client.clientId);
    console.info(
      `client kills: ${killed} (${afterAnswer} between an answer and its mappings), ${events} events`,
    );
  }, 240_000);
});
