// A contract test as an app writes one: its own operations validated against the exported SDL.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { typeDefs } from "checkpoint-sync/schema";
import { buildSchema, parse, validate } from "graphql";

const sdlPath = createRequire(import.meta.url).resolve("checkpoint-sync/schema/sync.graphql");
const schema = buildSchema(readFileSync(sdlPath, "utf8"));
const good = parse(`query Model { syncModel { name keyKind columns { name type notNull } } }`);
const bad = parse(`query Bad { syncModel { nope } }`);
console.log(
  JSON.stringify({
    sameAsExport: readFileSync(sdlPath, "utf8") === typeDefs,
    good: validate(schema, good).map((error) => error.message),
    bad: validate(schema, bad).map((error) => error.message),
  }),
);
