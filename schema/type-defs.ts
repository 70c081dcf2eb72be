import { readFileSync } from "node:fs";

/** The SDL of the sync contract, read from `schema/sync.graphql` (the single source of truth). */
export const typeDefs: string = readFileSync(new URL("./sync.graphql", import.meta.url), "utf8");
