import { readdirSync, readFileSync } from "node:fs";
import {
  buildClientSchema,
  buildSchema,
  type DocumentNode,
  getIntrospectionQuery,
  parse,
  printSchema,
  validate,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as clientDocuments from "../client/generated/graphql.ts";
import { graphiqlExample } from "../server/graphiql-example.ts";
import { startTestServer, syncBatchDocument, type TestServer } from "../test-utils/test-server.ts";
import { typeDefs } from "./generated/type-defs.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const sdl = buildSchema(readFileSync(new URL("./sync.graphql", import.meta.url), "utf8"));

describe("the GraphQL contract", () => {
  it("serves exactly the SDL in schema/sync.graphql", async () => {
    const { data } = await server.gql(getIntrospectionQuery());
    const served = buildClientSchema(data as never);
    expect(printSchema(served)).toBe(printSchema(sdl));
    expect(typeDefs).toBe(readFileSync(new URL("./sync.graphql", import.meta.url), "utf8"));
  });

  it("holds the spec's core names", () => {
    const printed = printSchema(sdl);
    for (const line of [
      "syncBatch(input: SyncBatchInput!): SyncBatchResult!",
      "operations: [SyncOperationInput!]!",
      "keyMappings: [KeyMapping!]!",
      "replayed: Boolean!",
    ]) {
      expect(printed).toContain(line);
    }
  });

  it("validates every operation in the repository against it", () => {
    const documents = Object.entries(clientDocuments).filter(([name]) => name.endsWith("Document"));
    expect(documents.length).toBeGreaterThanOrEqual(2);
    const sources: Array<readonly [string, DocumentNode]> = [
      ...documents.map(([name, document]) => [name, document as DocumentNode] as const),
      ["graphiqlExample", parse(graphiqlExample)],
      ["test syncBatchDocument", parse(syncBatchDocument)],
    ];
    const graphqlFiles = readdirSync(new URL("..", import.meta.url), { recursive: true })
      .map(String)
      .filter(
        (path) =>
          path.endsWith(".graphql") &&
          !path.includes("node_modules") &&
          !path.endsWith("sync.graphql"),
      );
    for (const path of graphqlFiles) {
      sources.push([
        path,
        parse(readFileSync(new URL(`../${path}`, import.meta.url), "utf8")),
      ] as const);
    }
    for (const [name, document] of sources) {
      expect(validate(sdl, document).map((e) => `${name}: ${e.message}`)).toEqual([]);
    }
  });

  it("answers the GraphiQL example with the seed's mappings", async () => {
    const response = await server.post(
      JSON.stringify({ query: graphiqlExample, operationName: "SeedScenario" }),
    );
    const answer = (
      response.data as { syncBatch: { keyMappings: unknown[]; results: Array<{ status: string }> } }
    ).syncBatch;
    expect(answer.results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED", "APPLIED"]);
    expect(answer.keyMappings).toHaveLength(3);
  });

  it("serves GraphiQL to a browser", async () => {
    const response = await server.sync.yoga.fetch("http://127.0.0.1/graphql", {
      headers: { accept: "text/html" },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("SeedScenario");
  });

  it("gives a malformed request GraphQL's standard errors", async () => {
    const badJson = await server.post("{ not json");
    expect(badJson.status).toBe(400);
    const unknownField = await server.gql(
      "mutation { syncBatch(input: { clientId: 1 }) { nope } }",
    );
    expect(unknownField.errors?.length).toBeGreaterThan(0);
    expect(unknownField.data).toBeUndefined();
  });
});
