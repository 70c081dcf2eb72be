import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppFolder, packPackage, root, run, runFailing, startNode } from "./app-folder.ts";

// What a new user does: pack the package, install the tarball into an empty app folder with a
// model of its own (project → task, both numbered by the server, and a UUID-keyed comment), make
// the migrations with the README's command, compile with a strict NodeNext tsconfig, then run a
// server and devices with plain node and with an esbuild bundle.

interface DeviceOutput {
  readonly batches: number;
  readonly projectId: number;
  readonly commentId: string;
  readonly projects: { id: number; name: string }[];
  readonly tasks: { id: number; projectId: number; title: string; done: number }[];
  readonly comments: { id: string; taskId: number; body: string }[];
}

const dir = mkdtempSync(join(tmpdir(), "checkpoint-sync-app-"));
const app = join(dir, "app");
const serverDb = join(dir, "server.db");
let installOutput = "";
let server: ReturnType<typeof startNode> | undefined;
let endpoint = "";

beforeAll(() => {
  const started = performance.now();
  const tarball = packPackage(dir);
  const packed = performance.now();
  installOutput = createAppFolder(app, tarball);
  console.log(
    `pack ${((packed - started) / 1000).toFixed(1)} s, install ${((performance.now() - packed) / 1000).toFixed(1)} s`,
  );
}, 600_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function serverRows(table: string): Promise<unknown[]> {
  const database = createClient({ url: `file:${serverDb}` });
  try {
    return (await database.execute(`SELECT * FROM ${table} ORDER BY 1`)).rows.map((row) => ({
      ...row,
    }));
  } finally {
    database.close();
  }
}

/** The device's rows in the server's column names, ordered as `serverRows` orders them. */
function asServerRows(device: DeviceOutput) {
  return {
    project: device.projects.map(({ id, name }) => ({ id, name })),
    task: device.tasks.map(({ id, projectId, title, done }) => ({
      id,
      project_id: projectId,
      title,
      done,
    })),
    comment: device.comments.map(({ id, taskId, body }) => ({ id, task_id: taskId, body })),
  };
}

async function checkDevice(device: DeviceOutput, name: string) {
  expect(device.batches).toBe(2); // the checkpoint cut the project from its tasks
  const project = device.projects.find((row) => row.name === name);
  expect(project?.id).toBeGreaterThan(0); // mapped to its server key
  const tasks = device.tasks.filter((row) => row.projectId === project?.id);
  expect(tasks.map((row) => [row.title, row.done])).toEqual([
    [`${name}: first`, 0],
    [`${name}: second`, 1],
  ]);
  expect(device.commentId).toMatch(/^[0-9a-f-]{36}$/);
  const onServer = {
    project: await serverRows("project"),
    task: await serverRows("task"),
    comment: await serverRows("comment"),
  };
  const mine = asServerRows(device);
  expect(onServer.project).toEqual(expect.arrayContaining(mine.project));
  expect(onServer.task).toEqual(expect.arrayContaining(mine.task));
  expect(onServer.comment).toEqual(expect.arrayContaining(mine.comment));
}

describe("the packed package in an app of its own", () => {
  it("installs without engine warnings", () => {
    expect(installOutput).not.toMatch(/EBADENGINE/);
  });

  it("makes the app's migrations with the README's command", () => {
    run(
      "npx",
      [
        "drizzle-kit",
        "generate",
        "--dialect",
        "sqlite",
        "--schema",
        "./src/tables.ts",
        "--out",
        "./migrations",
      ],
      app,
    );
    expect(run("ls", ["migrations"], app)).toMatch(/\.sql/);
  });

  it("compiles the app under strict NodeNext without an error", () => {
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    expect(run(process.execPath, [tsc, "-p", "."], app)).toBe("");
    // Checked in full, the package's own declarations hold no error either (drizzle-orm's and
    // yoga's do, for drivers and globals the app does not use: apps keep skipLibCheck on).
    const full = runFailing(
      process.execPath,
      [tsc, "-p", ".", "--noEmit", "--skipLibCheck", "false"],
      app,
    );
    const ours = full
      .split("\n")
      .filter((line) => /^(src|node_modules\/checkpoint-sync)\//.test(line));
    expect(ours).toEqual([]);
  });

  it("runs a server and a device with plain node; device and server agree", async () => {
    server = startNode(app, ["build/server.js", `file:${serverDb}`]);
    const { port } = (await server.firstLine) as { port: number };
    endpoint = `http://127.0.0.1:${port}/graphql`;
    const device = startNode(app, ["build/device.js", endpoint, `file:${dir}/a.db`, "alpha"]);
    await checkDevice((await device.firstLine) as DeviceOutput, "alpha");
    await device.stop();
  });

  it("runs a device bundled by esbuild", async () => {
    await build({
      entryPoints: [join(app, "build/device.js")],
      outfile: join(app, "bundle/device.mjs"),
      bundle: true,
      platform: "node",
      format: "esm",
      // libsql is a native module: it stays in node_modules.
      external: ["libsql"],
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      logLevel: "error",
    });
    const device = startNode(app, ["bundle/device.mjs", endpoint, `file:${dir}/b.db`, "beta"]);
    await checkDevice((await device.firstLine) as DeviceOutput, "beta");
    await device.stop();
  });

  it("validates the app's documents against the exported SDL", async () => {
    const contract = startNode(app, ["build/contract.js"]);
    expect(await contract.firstLine).toEqual({
      sameAsExport: true,
      good: [],
      bad: [expect.stringMatching(/Cannot query field "nope" on type "SyncTable"/)],
    });
    await contract.stop();
  });
});
