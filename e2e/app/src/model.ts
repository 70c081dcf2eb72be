import { defineSyncModel } from "checkpoint-sync/schema";
import * as tables from "./tables.js";

export const model = defineSyncModel(tables);
export { tables };
