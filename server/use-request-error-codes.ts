import type { GraphQLError } from "graphql";
import { createGraphQLError, type Plugin } from "graphql-yoga";

/** An error of a request that never ran, with a code: `BAD_USER_INPUT` unless it has one. */
function withCode(error: GraphQLError): GraphQLError {
  if (error.extensions?.code !== undefined) return error;
  return createGraphQLError(error.message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions: { ...error.extensions, code: "BAD_USER_INPUT" },
  });
}

/**
 * Gives a code to the errors of a request that never ran: a result without `data` is one whose
 * variables did not fit the operation's types (GraphQL's "request errors"), and graphql-js names
 * the variable and the path but gives no `extensions.code`, as every other error here has.
 */
export function useRequestErrorCodes(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || "data" in result || !result.errors) return;
          // Not `instanceof`: graphql-js may be loaded twice (its ESM and CommonJS builds).
          setResult({ ...result, errors: result.errors.map(withCode) });
        },
      };
    },
  };
}
