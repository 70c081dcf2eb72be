import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root: where `npm pack` runs. */
export const root = fileURLToPath(new URL("..", import.meta.url));

/** Versions the app installs beside the package, as the README's "Your own model" tells it to. */
const appDependencies = ["drizzle-orm@0.45.4", "graphql@16.15.0"];
const appDevDependencies = ["drizzle-kit@0.31.11", "@types/node@20.19.43"];

/** Runs a command (no shell) in `cwd`, bounded in time; its output on failure. */
export function run(command: string, args: readonly string[], cwd: string, timeoutMs = 240_000) {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      timeout: timeoutMs,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false" },
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout}\n${stderr}`, {
      cause: error,
    });
  }
}

/** Runs a command expected to fail (a check that reports problems); its stdout either way. */
export function runFailing(command: string, args: readonly string[], cwd: string): string {
  try {
    return run(command, args, cwd);
  } catch (error) {
    const { stdout } = (error as Error & { cause: { stdout?: string } }).cause;
    return stdout ?? "";
  }
}

/** Packs the repository (its `prepack` builds dist/) into `into`; the tarball's path. */
export function packPackage(into: string): string {
  run("npm", ["pack", "--silent", "--pack-destination", into], root, 300_000);
  const tarball = readdirSync(into).find((name) => name.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${into}`);
  return join(into, tarball);
}

/**
 * An app folder as a new user makes one: `npm init`, the tarball and the README's companions
 * installed, the app's sources (e2e/app) copied in. Returns npm's install output.
 */
export function createAppFolder(app: string, tarball: string): string {
  mkdirSync(app, { recursive: true });
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "todo-app", private: true, type: "module" }, null, 2),
  );
  const flags = ["--no-audit", "--no-fund", "--prefer-offline"];
  const output = run("npm", ["install", ...flags, tarball, ...appDependencies], app);
  const devOutput = run("npm", ["install", ...flags, "-D", ...appDevDependencies], app);
  cpSync(join(root, "e2e/app/src"), join(app, "src"), { recursive: true });
  copyFileSync(join(root, "e2e/app/tsconfig.json"), join(app, "tsconfig.json"));
  return output + devOutput;
}

/** Starts `node SCRIPT ARGS` in `cwd` and resolves with its first stdout line parsed as JSON. */
export function startNode(cwd: string, args: readonly string[]) {
  const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const firstLine = new Promise<unknown>((resolve, reject) => {
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf("\n");
      if (end >= 0) resolve(JSON.parse(stdout.slice(0, end)));
    });
    child.once("exit", (code) =>
      reject(new Error(`node ${args.join(" ")} ended (${code}): ${stderr}`)),
    );
  });
  const ended = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    firstLine,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await ended;
    },
  };
}
