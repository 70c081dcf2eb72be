import { defineConfig } from "drizzle-kit";

/** PostgreSQL migrations of the synced model (its tables follow from the SQLite model). */
export default defineConfig({
  dialect: "postgresql",
  schema: "./schema/pg-model.ts",
  out: "./schema/pg-migrations",
});
