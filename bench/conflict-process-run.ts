import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { ConflictRun, ConflictRunOptions } from "./conflict-run.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Runs {@link conflictRun} in a process of its own (`bench/conflict-child.ts`): both kinds of
 * request still meet the same process, alternated, but none of them pays for what the bench ran
 * before (its heap, its collections, its handles).
 */
export async function conflictProcessRun(options: ConflictRunOptions): Promise<ConflictRun> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "bench/conflict-child.ts", JSON.stringify(options)],
    { cwd: root, maxBuffer: 1 << 20 },
  );
  const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Partial<ConflictRun>;
  if (!Array.isArray(result.checkedMs) || !Array.isArray(result.uncheckedMs)) {
    throw new Error(`the conflict process printed no figures: ${stdout.slice(0, 300)}`);
  }
  return { checkedMs: result.checkedMs, uncheckedMs: result.uncheckedMs };
}
