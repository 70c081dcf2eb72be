import { defineConfig } from "drizzle-kit";

/** Migrations of the synced model, shared by server and client. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./schema/model.ts",
  out: "./schema/migrations",
});
