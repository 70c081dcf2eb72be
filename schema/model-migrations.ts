import { existsSync } from "node:fs";
import { join } from "node:path";
import { type MigrationMeta, readMigrationFiles } from "drizzle-orm/migrator";
import type { SyncModel } from "./define-sync-model.ts";
import { exampleModel } from "./example-model.ts";
import { exampleMigrations } from "./generated/example-migrations.ts";
import { examplePgMigrations } from "./generated/example-pg-migrations.ts";

/**
 * How a side is told the model's drizzle-kit migrations (options of the server and the client
 * alike), applied at start. Default: the example model's when the model is the example, else none
 * (the app then creates the tables itself).
 */
export interface ModelMigrationOptions {
  /** The folder drizzle-kit wrote (`drizzle-kit generate --out`), read once at start. */
  readonly migrationsFolder?: string;
  /**
   * The migrations themselves, for a bundle or a platform without a file system (read them at
   * build time with drizzle-orm's `readMigrationFiles`). Give this or `migrationsFolder`.
   */
  readonly migrations?: readonly MigrationMeta[];
}

/**
 * The model's migrations from a side's options: the given folder or list, the example's own (for
 * the database's `dialect`) when the model is the example, else none (the tables must then exist).
 * `invalid` reports a bad option in the side's own error type; it is called before any database
 * is touched.
 */
export function modelMigrations(
  model: SyncModel,
  { migrationsFolder, migrations }: ModelMigrationOptions,
  invalid: (option: string, problem: string) => Error,
  dialect: "sqlite" | "postgresql" = "sqlite",
): readonly MigrationMeta[] | undefined {
  if (migrationsFolder !== undefined && migrations !== undefined) {
    throw invalid("migrations", "cannot be given together with migrationsFolder");
  }
  if (migrations !== undefined) {
    if (!Array.isArray(migrations)) throw invalid("migrations", "must be an array of migrations");
    return migrations;
  }
  if (migrationsFolder !== undefined) {
    if (typeof migrationsFolder !== "string" || migrationsFolder === "") {
      throw invalid("migrationsFolder", "must be a folder path");
    }
    if (!existsSync(join(migrationsFolder, "meta", "_journal.json"))) {
      throw invalid(
        "migrationsFolder",
        `must be a folder of drizzle-kit migrations: "${migrationsFolder}" has no meta/_journal.json (generate them first)`,
      );
    }
    return readMigrationFiles({ migrationsFolder });
  }
  if (model !== exampleModel) return undefined;
  return dialect === "postgresql" ? examplePgMigrations : exampleMigrations;
}
