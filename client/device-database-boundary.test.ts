import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/** The bare module names that `file` imports, itself and through the project's files it imports. */
function importedPackages(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  const source = readFileSync(file, "utf8");
  for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
    if (!specifier) continue;
    if (specifier.startsWith(".")) {
      const path = resolve(dirname(file), specifier);
      const found = [path, `${path}.ts`, join(path, "index.ts")].find(
        (candidate) => existsSync(candidate) && candidate.endsWith(".ts"),
      );
      for (const name of found ? importedPackages(found, seen) : []) {
        packages.add(name);
      }
    } else {
      packages.add(specifier);
    }
  }
  return packages;
}

describe("the device database's boundary", () => {
  const client = dirname(fileURLToPath(import.meta.url));
  // Capture, send, the applying of answers, event management and reads.
  const steps = [
    "local-writer.ts",
    "send.ts",
    "next-batch.ts",
    "apply-answer.ts",
    "rewrite-events.ts",
    "outbox-events.ts",
    "retry-event.ts",
    "refused-batch.ts",
    "device-reads.ts",
    "device-migrations.ts",
  ];
  it.each(steps)("%s reaches no database driver, not even through the files it imports", (file) => {
    const drivers = [...importedPackages(join(client, file))].filter((name) =>
      /^(libsql|@libsql\/client|@libsql\/core\/api|drizzle-orm\/libsql)(\/|$)/.test(name),
    );
    expect(drivers).toEqual([]);
  });

  it("is where the Node implementation reaches its driver (the check sees through files)", () => {
    expect(importedPackages(join(client, "client.ts"))).toContain("libsql");
  });
});
