import type { DocumentNode, ExecutionArgs } from "graphql";
import { type CompiledQuery, compileQuery, isCompiledQuery } from "graphql-jit";
import type { Plugin } from "graphql-yoga";
import { hasVariableInLiteral } from "./has-variable-in-literal.ts";

/**
 * Executes operations compiled by graphql-jit, which coerces a syncBatch's list of operations
 * several times faster than graphql-js; each operation of a document is compiled once, the first
 * time it is asked for by name. graphql-js executes instead where jit would not do what GraphQL
 * says: a document with a variable inside a literal (jit drops it), an operation jit cannot
 * compile, and variables jit refuses (graphql-js's error names the variable and the path at fault,
 * jit's a variable that does not exist). Nothing has run when jit refuses variables, so executing
 * again runs nothing twice.
 *
 * Written here rather than taken from @envelop/graphql-jit, whose cache keys a document alone: the
 * first operation of a document compiled for one name then answered for every other name.
 */
export function useJit(): Plugin {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  const compiledFor = (args: ExecutionArgs): CompiledQuery | null => {
    let byName = compiled.get(args.document);
    if (!byName) {
      byName = new Map();
      compiled.set(args.document, byName);
    }
    const name = args.operationName ?? "";
    let query = byName.get(name);
    if (query === undefined) {
      const result = compileQuery(args.schema, args.document, args.operationName ?? undefined);
      query = isCompiledQuery(result) ? result : null;
      byName.set(name, query);
    }
    return query;
  };
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if (hasVariableInLiteral(args.document)) return;
      const query = compiledFor(args);
      if (!query) return;
      setExecuteFn(async (executionArgs) => {
        const result = await query.query(
          executionArgs.rootValue,
          executionArgs.contextValue,
          executionArgs.variableValues,
        );
        if (!("data" in result)) return executeFn(executionArgs);
        return Object.assign(result, { stringify: query.stringify });
      });
    },
  };
}
