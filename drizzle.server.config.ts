import { defineConfig } from "drizzle-kit";

/** Migrations of the server's own bookkeeping (stored answers, key maps). */
export default defineConfig({
  dialect: "sqlite",
  schema: "./server/store/tables.ts",
  out: "./server/store/migrations",
});
