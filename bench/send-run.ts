import { join } from "node:path";
import { createNodeFetch, createSyncClient, type SendReport } from "../client/index.ts";
import { bodyBytes, isSyncBatchRequest } from "../test-utils/is-sync-batch-request.ts";
import { startServerProcess } from "../test-utils/server-process.ts";
import { copyTemplate, type DeviceTemplate } from "./fixtures.ts";
import { processCpuMs } from "./process-cpu-ms.ts";
import { warmUpServer } from "./warm-up-server.ts";

/** What one end-to-end send measured. */
export interface SendRun {
  readonly operations: number;
  /** From the first byte sent to the last mapping applied. */
  readonly seconds: number;
  readonly operationsPerSecond: number;
  /** From the first byte sent to the first batch committed and applied on the device. */
  readonly firstCommitSeconds: number;
  readonly requests: number;
  readonly bytes: number;
  readonly report: SendReport;
  /** Latency of each request, in milliseconds. */
  readonly latenciesMs: readonly number[];
  /** CPU time of `send()` in the client's process (all its threads), in milliseconds. */
  readonly clientCpuMs: number;
  /** CPU time of the server process during `send()`, in milliseconds; NaN where unknown. */
  readonly serverCpuMs: number;
}

/** Options of {@link sendRun}. */
export interface SendRunOptions {
  readonly dir: string;
  readonly template: DeviceTemplate;
  readonly maxOperationsPerRequest: number;
  readonly serverEnv?: Record<string, string>;
  /** Devices sent to the fresh server before the measured send (see `warm-up-server.ts`). */
  readonly warmUp?: readonly DeviceTemplate[];
  /** Decides, per request (1-based) and the bytes sent before it, whether the connection drops. */
  readonly dropRequest?: (request: number, bytesBefore: number, bytes: number) => boolean;
}

/** Sends a fresh copy of a device template to a fresh server process and measures it. */
export async function sendRun(options: SendRunOptions, run: number): Promise<SendRun> {
  const tag = `${Date.now()}-${run}-${Math.random().toString(36).slice(2, 8)}`;
  const server = await startServerProcess(
    `file:${join(options.dir, `server-${tag}.db`)}`,
    options.serverEnv,
  );
  try {
    await warmUpServer(options.dir, server.endpoint, options.warmUp ?? [], tag);
    const database = await copyTemplate(options.template, join(options.dir, `device-${tag}.db`));
    let firstByte: number | undefined;
    let firstCommit: number | undefined;
    let requests = 0;
    let bytes = 0;
    const latenciesMs: number[] = [];
    // The client's default fetch, which resolves with the whole answer.
    const own = createNodeFetch();
    const timedFetch: typeof fetch = async (input, init) => {
      if (!isSyncBatchRequest(init)) return own(input, init);
      firstByte ??= performance.now();
      requests += 1;
      const size = bodyBytes(init);
      const dropped = options.dropRequest?.(requests, bytes, size) ?? false;
      bytes += size;
      if (dropped) throw new TypeError("fetch failed: connection dropped (bench)");
      const started = performance.now();
      const response = await own(input, init);
      latenciesMs.push(performance.now() - started);
      return response;
    };
    const client = await createSyncClient({
      database,
      endpoint: server.endpoint,
      fetch: timedFetch,
      maxOperationsPerRequest: options.maxOperationsPerRequest,
      retry: { retries: 3, minDelayMs: 20, maxDelayMs: 200 },
    });
    const serverCpuBefore = processCpuMs(server.child.pid);
    const clientCpuBefore = process.cpuUsage();
    const report = await client.send({
      onProgress: () => {
        firstCommit ??= performance.now();
      },
    });
    const end = performance.now();
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const serverCpuAfter = processCpuMs(server.child.pid);
    await client.close();
    own.close();
    const seconds = (end - (firstByte ?? end)) / 1000;
    return {
      operations: report.applied,
      seconds,
      operationsPerSecond: report.applied / seconds,
      firstCommitSeconds: ((firstCommit ?? end) - (firstByte ?? end)) / 1000,
      requests,
      bytes,
      report,
      latenciesMs,
      clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
      serverCpuMs:
        serverCpuBefore === undefined || serverCpuAfter === undefined
          ? Number.NaN
          : serverCpuAfter - serverCpuBefore,
    };
  } finally {
    await server.stop();
  }
}
