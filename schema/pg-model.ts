// drizzle-kit's PostgreSQL schema file for the example model: it follows from the SQLite model
// (`schema/model.ts`, declared once), so the two migration sets cannot drift apart.
import * as model from "./model.ts";
import { toPgTables } from "./to-pg-tables.ts";

/** The example model's PostgreSQL tables (`toPgTables` of `schema/model.ts`). */
export const { customer, invoice, invoiceLine, location, note } = toPgTables(model);
