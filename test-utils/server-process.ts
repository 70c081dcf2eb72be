import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A sync server in its own process, started the way `npm start` starts it. */
export interface ServerProcess {
  readonly endpoint: string;
  readonly child: ChildProcess;
  /** SIGTERM, then waits for the process to end. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the process to end. */
  kill(): Promise<void>;
}

const root = fileURLToPath(new URL("..", import.meta.url));

/** The arguments `npm start` gives node (`node ARGS`), so the bench starts the server the same way. */
export function startArguments(): string[] {
  const manifest = JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as {
    scripts?: { start?: string };
  };
  const [command, ...args] = manifest.scripts?.start?.split(/\s+/) ?? [];
  if (command !== "node")
    throw new Error(`npm start must run node, got: ${manifest.scripts?.start}`);
  return args;
}

/** Starts `server/main.ts` on an ephemeral port of 127.0.0.1 over `databaseUrl`. */
export function startServerProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  // Dev aid: BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server process.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, ...startArguments()], {
    cwd: root,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: databaseUrl,
      NODE_ENV: "production",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ended = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await ended;
  };
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start within 30 s:\n${output}`));
    }, 30_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          endpoint: match[1],
          child,
          stop: () => stopWith("SIGTERM"),
          kill: () => stopWith("SIGKILL"),
        });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening:\n${output}`));
    });
  });
}
