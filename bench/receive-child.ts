// Child process of the receive figures: opens a fresh device, receives everything, then (when
// asked) waits for a line on stdin, receives again, and prints the times and peak RSS as JSON.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createSyncClient } from "../client/index.ts";

/** Peak resident memory of this process in KB (VmHWM starts afresh at exec). */
function peakKb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return match ? Number(match[1]) : process.resourceUsage().maxRSS;
}

const [database, endpoint, again] = process.argv.slice(2);
if (!database || !endpoint)
  throw new Error("usage: receive-child <database url> <endpoint> [again]");
const client = await createSyncClient({ database, endpoint });
const beforeKb = peakKb();
let started = performance.now();
let stagedMs = 0;
const first = await client.receive({
  onProgress: ({ hasMore }) => {
    if (!hasMore) stagedMs = performance.now() - started;
  },
});
const firstMs = performance.now() - started;
const firstPeakKb = peakKb();
let secondMs = 0;
let secondChanges = 0;
if (again === "again") {
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const lines = createInterface({ input: process.stdin });
  for await (const _line of lines) break;
  started = performance.now();
  const second = await client.receive();
  secondMs = performance.now() - started;
  secondChanges = second.changes;
}
await client.close();
process.stdout.write(
  `${JSON.stringify({ beforeKb, firstPeakKb, firstMs, stagedMs, firstChanges: first.changes, secondMs, secondChanges })}\n`,
);
