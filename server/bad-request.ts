import { createGraphQLError } from "graphql-yoga";

/** A request the server cannot read as GraphQL: HTTP 400, `BAD_REQUEST`, and what was wrong. */
export function badRequest(message: string): Error {
  return createGraphQLError(message, {
    extensions: { code: "BAD_REQUEST", http: { status: 400 } },
  });
}
