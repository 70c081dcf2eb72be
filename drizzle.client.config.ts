import { defineConfig } from "drizzle-kit";

/** Migrations of the device's own bookkeeping (outbox, pieces, temporary-key counters). */
export default defineConfig({
  dialect: "sqlite",
  schema: "./client/outbox-tables.ts",
  out: "./client/migrations",
});
