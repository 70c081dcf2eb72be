// Child process of the client figures: opens a device copy, sends it, prints send() time and peak RSS as JSON.
import { readFileSync } from "node:fs";
import { createSyncClient } from "../client/index.ts";

/**
 * Peak resident memory of this process in KB. VmHWM starts afresh at exec; getrusage's maxRSS
 * does not (a child inherits the high-water mark of the process that forked it).
 */
function peakKb(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) : process.resourceUsage().maxRSS;
}

const [database, endpoint] = process.argv.slice(2);
if (!database || !endpoint) throw new Error("usage: memory-child <database url> <endpoint>");
const client = await createSyncClient({ database, endpoint, maxOperationsPerRequest: 1000 });
const before = peakKb();
const started = performance.now();
const report = await client.send();
const ms = performance.now() - started;
const peak = peakKb();
await client.close();
process.stdout.write(
  `${JSON.stringify({ beforeKb: before, peakKb: peak, applied: report.applied, batches: report.batches, ms })}\n`,
);
