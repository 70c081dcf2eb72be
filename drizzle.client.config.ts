import { defineConfig } from "drizzle-kit";

/** Migrations of the device's own bookkeeping (outbox, batches, temporary-key counters, mapped keys). */
export default defineConfig({
  dialect: "sqlite",
  schema: "./client/outbox-tables.ts",
  out: "./client/migrations",
});
