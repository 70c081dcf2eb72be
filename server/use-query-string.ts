import type { GraphQLParams, Plugin } from "graphql-yoga";
import { badRequest } from "./bad-request.ts";

/** A query-string parameter that holds JSON (`variables`, `extensions`), parsed; undefined when absent. */
function jsonParameter(params: URLSearchParams, name: string): Record<string, unknown> | undefined {
  const text = params.get(name);
  if (!text) return undefined;
  try {
    // Yoga checks the parsed parameters' shape itself (variables an object), as for a POST.
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw badRequest(`The query string's "${name}" parameter is not JSON.`);
  }
}

/**
 * Reads a GET request's parameters from its query string, as yoga's own parser does, except that
 * `variables` or `extensions` that are not JSON get HTTP 400 `BAD_REQUEST` naming the parameter:
 * yoga's parser lets the JSON error through, a 500 with a stack in the log for each such request.
 */
export function useQueryString(): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== "GET") return;
      setRequestParser((req): GraphQLParams => {
        const params = new URL(req.url).searchParams;
        const parsed: GraphQLParams = {};
        const query = params.get("query");
        const operationName = params.get("operationName");
        const variables = jsonParameter(params, "variables");
        const extensions = jsonParameter(params, "extensions");
        if (query) parsed.query = query;
        if (operationName) parsed.operationName = operationName;
        if (variables !== undefined) parsed.variables = variables;
        if (extensions !== undefined) parsed.extensions = extensions;
        return parsed;
      });
    },
  };
}
