import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  type SelectionSetNode,
} from "graphql";
import { createGraphQLError, type Plugin } from "graphql-yoga";

/** The `syncBatch` fields a selection set asks for, through fragments too. */
function countSyncBatches(
  selections: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen: Set<string>,
): number {
  let count = 0;
  for (const selection of selections.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === "syncBatch") count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countSyncBatches(selection.selectionSet, fragments, seen);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (fragment && !seen.has(name)) {
        seen.add(name);
        count += countSyncBatches(fragment.selectionSet, fragments, seen);
      }
    }
  }
  return count;
}

function syncBatchesOf(document: DocumentNode, operationName: string | null | undefined): number {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== "mutation") return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  return countSyncBatches(operation.selectionSet, fragments, new Set());
}

/**
 * Refuses a mutation that asks for `syncBatch` more than once (aliases, fragments): GraphQL runs
 * the fields one after the other, each in its own transaction, so the second could be refused after
 * the first committed, and the answer with the first's mappings would be lost with the request. One
 * request is one batch, applied whole or not at all; and the operation limit holds per request.
 */
export function useOneSyncBatch(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const count = syncBatchesOf(args.document, args.operationName);
      if (count <= 1) return;
      setResultAndStopExecution({
        errors: [
          createGraphQLError(
            `The mutation asks for syncBatch ${count} times; a request carries one batch (send the others as requests of their own)`,
            { extensions: { code: "BAD_USER_INPUT" } },
          ),
        ],
      });
    },
  };
}
