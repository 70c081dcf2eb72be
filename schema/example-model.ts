import { defineSyncModel } from "./define-sync-model.ts";
import * as tables from "./model.ts";

/** The example model of the spec: customers, invoices and their lines, locations, notes. */
export const exampleModel = defineSyncModel(tables);

/** The example model's tables, by drizzle property name. */
export type ExampleTables = typeof tables;
