import { fileURLToPath } from "node:url";

/** The drizzle-kit migrations of the example model, applied by server and client at start. */
export const modelMigrationsFolder: string = fileURLToPath(
  new URL("./migrations", import.meta.url),
);
