import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startArguments, startServerProcess } from "../test-utils/server-process.ts";
import { tempDir } from "../test-utils/temp-dir.ts";
import { startFailureMessage } from "./start-failure.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = tempDir("start-failure-");
afterAll(() => dir.remove());

/** Runs `npm start`'s command with `env` until it exits (it must, within 30 s): its code and output. */
function startToExit(env: Record<string, string>) {
  const child = spawn(process.execPath, startArguments(), {
    cwd: root,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: `file:${join(dir.path, "server.db")}`,
      SYNC_DEBUG: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("npm start that cannot start", () => {
  it("says in one line which setting it refused, without a stack, and exits with 1", async () => {
    for (const [env, expected] of [
      [{ PORT: "abc" }, "PORT must be a port number from 0 to 65535, got abc"],
      [{ PORT: "70000" }, "PORT must be a port number from 0 to 65535, got 70000"],
      [{ SYNC_MAX_OPERATIONS: "lots" }, "SYNC_MAX_OPERATIONS must be a positive integer, got lots"],
      [{ SYNC_CORS_ORIGINS: "not-a-url" }, 'got "not-a-url"'],
      [{ HOST: "0.0.0.0" }, "refusing to listen on 0.0.0.0 in open mode"],
    ] as const) {
      const { code, stdout, stderr } = await startToExit(env);
      expect(code, JSON.stringify(env)).toBe(1);
      expect(stdout).not.toContain("listening");
      const lines = stderr.trim().split("\n");
      expect(lines, stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^sync server did not start: /);
      expect(lines[0]).toContain(expected);
      expect(stderr).not.toMatch(/\n\s+at |node:internal|Node\.js v/);
    }
  }, 120_000);

  it("names the port in use and what to do, when another server holds it", async () => {
    const first = await startServerProcess(`file:${join(dir.path, "first.db")}`);
    try {
      const port = new URL(first.endpoint).port;
      const { code, stderr } = await startToExit({ PORT: port });
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        `sync server did not start: 127.0.0.1:${port} is already in use (another server runs there?); set PORT to another port, or PORT=0 for a free one`,
      );
    } finally {
      await first.stop();
    }
  }, 60_000);

  it("prints the stack too with SYNC_DEBUG=1", async () => {
    const { code, stderr } = await startToExit({ PORT: "abc", SYNC_DEBUG: "1" });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^sync server did not start: PORT must be/);
    expect(stderr).toMatch(/\n\s+at /);
  }, 60_000);
});

describe("startFailureMessage", () => {
  const address = { host: "127.0.0.1", port: 4000 };
  const systemError = (code: string) => Object.assign(new Error(`listen ${code}`), { code });

  it("explains the listen errors a person running the server can act on", () => {
    expect(startFailureMessage(systemError("EACCES"), address)).toContain(
      "no permission to listen on 127.0.0.1:4000",
    );
    expect(startFailureMessage(systemError("EADDRNOTAVAIL"), address)).toContain(
      "127.0.0.1 is not an address of this machine; set HOST",
    );
  });

  it("gives any other failure's message as it is, whatever was thrown", () => {
    expect(startFailureMessage(systemError("ENOENT"), address)).toBe(
      "sync server did not start: listen ENOENT",
    );
    expect(startFailureMessage("text", address)).toBe("sync server did not start: text");
    expect(startFailureMessage({ code: 42 }, address)).toBe(
      "sync server did not start: [object Object]",
    );
  });
});
