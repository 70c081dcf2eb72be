import { GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { JSONResolver } from "graphql-scalars";
import { createGraphQLError } from "graphql-yoga";

/**
 * Refuses what graphql-scalars' JSON literal would silently turn into a missing value: a bare word
 * (`email: ada_at_example`, an enum value to GraphQL) and a variable the request does not supply.
 * During validation no variables are given, so only bare words are found then.
 */
function checkLiteral(node: ValueNode, variables: Readonly<Record<string, unknown>> | undefined) {
  switch (node.kind) {
    case Kind.ENUM:
      throw createGraphQLError(
        `A JSON literal cannot hold the bare word ${node.value}: write it as a string ("${node.value}"), or as true, false or null`,
        { nodes: node },
      );
    case Kind.VARIABLE:
      if (variables && !Object.hasOwn(variables, node.name.value)) {
        throw createGraphQLError(
          `Variable "$${node.name.value}" is used in a JSON literal but not supplied`,
          { nodes: node },
        );
      }
      return;
    case Kind.OBJECT:
      for (const field of node.fields) checkLiteral(field.value, variables);
      return;
    case Kind.LIST:
      for (const item of node.values) checkLiteral(item, variables);
      return;
    default:
      return;
  }
}

/**
 * graphql-scalars' JSON, keeping the description the SDL gives it (the SDL is the contract), and
 * refusing literals it would read with a value missing (see {@link checkLiteral}).
 */
export const jsonScalar = new GraphQLScalarType({
  ...JSONResolver.toConfig(),
  // Rest parameters, so graphql-jit does not log a warning for every JSON literal it compiles (it
  // warns where parseLiteral declares the variables parameter, which it never passes). Documents
  // with variables inside literals run on graphql-js, which passes them (useJit).
  parseLiteral: (...args: Parameters<typeof JSONResolver.parseLiteral>) => {
    const [node, variables] = args;
    checkLiteral(node, variables ?? undefined);
    return JSONResolver.parseLiteral(node, variables);
  },
  description: "Any JSON value. Used for the columns of a row (SQL column names as keys).",
});
