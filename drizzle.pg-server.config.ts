import { defineConfig } from "drizzle-kit";

/** PostgreSQL migrations of the server's bookkeeping (its tables follow from the SQLite ones). */
export default defineConfig({
  dialect: "postgresql",
  schema: "./server/store/pg-tables.ts",
  out: "./server/store/pg-migrations",
});
