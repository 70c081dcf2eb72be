import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  type SelectionSetNode,
} from "graphql";
import { createGraphQLError, type Plugin } from "graphql-yoga";

/** How many times a selection set asks for the root field `field`, through fragments too. */
function countFields(
  field: string,
  selections: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen: Set<string>,
): number {
  let count = 0;
  for (const selection of selections.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === field) count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countFields(field, selection.selectionSet, fragments, seen);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (fragment && !seen.has(name)) {
        seen.add(name);
        count += countFields(field, fragment.selectionSet, fragments, seen);
      }
    }
  }
  return count;
}

/** The root field the operation run may ask for once (by its kind), and how often it does. */
function syncFieldsOf(
  document: DocumentNode,
  operationName: string | null | undefined,
): { field: string; count: number } | undefined {
  const operation = getOperationAST(document, operationName);
  const field =
    operation?.operation === "mutation"
      ? "syncBatch"
      : operation?.operation === "query"
        ? "syncChanges"
        : undefined;
  if (!operation || !field) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  return { field, count: countFields(field, operation.selectionSet, fragments, new Set()) };
}

/** Why a request may carry one of each field, as its refusal says. */
const once: Record<string, string> = {
  syncBatch: "The mutation asks for syncBatch {n} times; a request carries one batch",
  syncChanges: "The query asks for syncChanges {n} times; a request reads one page",
};

/**
 * Refuses a mutation that asks for `syncBatch` more than once (aliases, fragments): GraphQL runs
 * the fields one after the other, each in its own transaction, so the second could be refused after
 * the first committed, and the answer with the first's mappings would be lost with the request. One
 * request is one batch, applied whole or not at all; and the operation limit holds per request.
 *
 * Likewise a query that asks for `syncChanges` more than once: each alias would read a page of its
 * own (the page limit multiplied by the aliases allowed), bind and rate its own clientId, each in
 * its own transaction. One request reads one page; nothing runs before the refusal.
 */
export function useOneSyncBatch(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const found = syncFieldsOf(args.document, args.operationName);
      if (!found || found.count <= 1) return;
      setResultAndStopExecution({
        errors: [
          createGraphQLError(
            `${once[found.field]?.replace("{n}", String(found.count))} (send the others as requests of their own)`,
            { extensions: { code: "BAD_USER_INPUT" } },
          ),
        ],
      });
    },
  };
}
