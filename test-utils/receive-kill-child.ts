// A device process for the receive-kill test: opens the team-model device on a file and receives,
// printing one JSON line per page staged, so that the parent can SIGKILL it at a chosen point.
//
//   node --import tsx test-utils/receive-kill-child.ts <file> <clientId> <endpoint> [pauseAt]
//
// Lines on stdout: {"page":{pages,changes,hasMore,from}} after each page staged (`from`: the
// cursor of the receive's first request), then {"done":report} once the run is applied.
// With `pauseAt` > 0 the process stops dead (a synchronous wait, so nothing else runs, not even
// the read-ahead's answer) right after telling of page `pauseAt`: a kill there lands with exactly
// that many pages staged and nothing applied. Stdout on a pipe is synchronous on Linux, so the
// line is out before the wait begins.
import { openTeamClient } from "./team-client.ts";

const [path, clientId, endpoint, pauseText = "0"] = process.argv.slice(2);
if (!path || !clientId || !endpoint) {
  throw new Error("usage: receive-kill-child <file> <clientId> <endpoint> [pauseAt]");
}
const pauseAt = Number(pauseText);
const device = await openTeamClient(path, clientId, endpoint);
const report = await device.client.receive({
  onProgress(progress) {
    const from = device.pageCursors[0] ?? null;
    process.stdout.write(`${JSON.stringify({ page: { ...progress, from } })}\n`);
    if (progress.pages === pauseAt) {
      // Long enough for any parent to kill it; a parent that does not still ends, later.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20_000);
    }
  },
});
process.stdout.write(`${JSON.stringify({ done: report })}\n`);
await device.close();
