import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../test-utils/temp-dir.ts";
import { defineSyncModel } from "./define-sync-model.ts";
import { exampleModel } from "./example-model.ts";
import { exampleMigrations } from "./generated/example-migrations.ts";
import { modelMigrations } from "./model-migrations.ts";

const thing = sqliteTable("thing", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
});
const model = defineSyncModel({ thing });
const invalid = (option: string, problem: string) => new Error(`option "${option}" ${problem}`);

const dirs: Array<ReturnType<typeof tempDir>> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

describe("modelMigrations", () => {
  it("defaults to the example's own migrations for the example model, none for another", () => {
    expect(modelMigrations(exampleModel, {}, invalid)).toBe(exampleMigrations);
    expect(modelMigrations(model, {}, invalid)).toBeUndefined();
  });

  it("takes a given list as it is", () => {
    expect(modelMigrations(model, { migrations: exampleMigrations }, invalid)).toBe(
      exampleMigrations,
    );
  });

  it("reads a folder drizzle-kit wrote", () => {
    const read = modelMigrations(model, { migrationsFolder: "schema/migrations" }, invalid);
    expect(read?.map(({ hash }) => hash)).toEqual(exampleMigrations.map(({ hash }) => hash));
  });

  it("refuses both at once, a folder without a journal, and values of the wrong kind", () => {
    const dir = tempDir("model-migrations-");
    dirs.push(dir);
    mkdirSync(join(dir.path, "empty"));
    const cases: Array<[object, RegExp]> = [
      [
        { migrationsFolder: "schema/migrations", migrations: exampleMigrations },
        /^option "migrations" cannot be given together with migrationsFolder$/,
      ],
      [
        { migrationsFolder: join(dir.path, "empty") },
        /^option "migrationsFolder" must be a folder of drizzle-kit migrations: ".*empty" has no meta\/_journal\.json \(generate them first\)$/,
      ],
      [{ migrationsFolder: "" }, /^option "migrationsFolder" must be a folder path$/],
      [{ migrationsFolder: 7 }, /^option "migrationsFolder" must be a folder path$/],
      [{ migrations: "schema/migrations" }, /^option "migrations" must be an array of migrations$/],
    ];
    for (const [options, message] of cases) {
      expect(() => modelMigrations(model, options, invalid)).toThrow(message);
    }
  });
});
