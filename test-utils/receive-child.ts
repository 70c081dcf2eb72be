import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ReceiveProgress, ReceiveReport } from "../client/index.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const script = fileURLToPath(new URL("./receive-kill-child.ts", import.meta.url));

/** A page a child told of: its progress, and the cursor its receive's first request asked after. */
export interface ChildPage extends ReceiveProgress {
  readonly from: string | null;
}

/** When to SIGKILL the child: `delayMs` after it tells of page `afterPage` (`"last"`: hasMore false). */
export interface KillPoint {
  readonly afterPage: number | "last";
  /** 0: at once, in the same turn as the line is read. */
  readonly delayMs: number;
}

/** What a child did before it ended. */
export interface ChildRun {
  /** The pages it told of, in order. */
  readonly pages: readonly ChildPage[];
  /** Its report, when its receive finished (a kill that came too late, or none). */
  readonly done: ReceiveReport | null;
  /** True when it ended by our SIGKILL. */
  readonly killed: boolean;
  readonly code: number | null;
  readonly stderr: string;
}

/** Children still running, so that a test that fails half-way can end them. */
const running = new Set<ChildProcess>();

/** SIGKILLs every child {@link runReceiveChild} started that has not ended yet. */
export function killReceiveChildren(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/**
 * Runs `test-utils/receive-kill-child.ts` on the device file `path` and SIGKILLs it at `kill`
 * (null: lets it finish); with `pauseAt` the child stops dead after that page, so a kill there
 * lands with exactly that many pages staged. Resolves once the child has ended; a child that
 * neither ends nor gets to its kill point within `timeoutMs` is killed and the promise rejects,
 * so a test never waits for ever.
 */
export function runReceiveChild(options: {
  path: string;
  clientId: string;
  endpoint: string;
  kill: KillPoint | null;
  pauseAt?: number;
  timeoutMs?: number;
}): Promise<ChildRun> {
  const { path, clientId, endpoint, kill, pauseAt = 0, timeoutMs = 20_000 } = options;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", script, path, clientId, endpoint, String(pauseAt)],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(child);
  const pages: ChildPage[] = [];
  let done: ReceiveReport | null = null;
  let killed = false;
  let stderr = "";
  let pending = "";
  let killTimer: NodeJS.Timeout | undefined;
  const killNow = () => {
    if (child.exitCode === null && child.signalCode === null) killed = child.kill("SIGKILL");
  };
  const onLine = (line: string) => {
    const message = JSON.parse(line) as { page?: ChildPage; done?: ReceiveReport };
    if (message.done) done = message.done;
    const page = message.page;
    if (!page) return;
    pages.push(page);
    const due = kill?.afterPage === "last" ? !page.hasMore : page.pages === kill?.afterPage;
    if (!kill || !due || killTimer) return;
    if (kill.delayMs === 0) killNow();
    else killTimer = setTimeout(killNow, kill.delayMs);
  };
  child.stdout.on("data", (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") onLine(line);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<ChildRun>((resolve, reject) => {
    const timeout = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`receive child timed out after ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    // "close", not "exit": by then stdout has been read to its end, last lines included.
    child.once("close", (code) => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      running.delete(child);
      resolve({ pages, done, killed, code, stderr });
    });
  });
}
