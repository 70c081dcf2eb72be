// Fails when `npm run codegen` changes any generated file: generated code must match its sources.
import { execSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const generated = [
  "client/generated",
  "server/generated",
  "schema/generated",
  "schema/migrations",
  "server/store/migrations",
  "schema/pg-migrations",
  "server/store/pg-migrations",
  "client/migrations",
];

function snapshot() {
  const files = new Map();
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(path, createHash("sha256").update(readFileSync(path)).digest("hex"));
    }
  };
  for (const dir of generated) walk(dir);
  return files;
}

const before = snapshot();
execSync("npm run -s codegen", { stdio: ["ignore", "ignore", "inherit"] });
const after = snapshot();
const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
  (path) => before.get(path) !== after.get(path),
);
if (changed.length > 0) {
  console.error(
    `codegen drift: 'npm run codegen' changed ${changed.join(", ")}.\n` +
      "Commit the regenerated files (never edit them by hand).",
  );
  process.exit(1);
}
console.log(`codegen: ${after.size} generated files match their sources`);
