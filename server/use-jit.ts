import { type DocumentNode, type ExecutionArgs, Kind, print } from "graphql";
import { type CompiledQuery, compileQuery, isCompiledQuery } from "graphql-jit";
import type { Plugin } from "graphql-yoga";

/** Options of {@link useJit}. */
export interface JitOptions {
  /**
   * The documents the server trusts: its own client's operations, each with one named operation
   * and no literal a request could have written. Only these are ever compiled.
   */
  readonly trusted: readonly DocumentNode[];
}

interface Trusted {
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  compiled?: CompiledQuery | null;
}

function operationNameOf(document: DocumentNode): string | undefined {
  const [definition] = document.definitions;
  return definition?.kind === Kind.OPERATION_DEFINITION ? definition.name?.value : undefined;
}

/**
 * Executes the server's trusted documents (its own client's operations) compiled by graphql-jit,
 * which coerces a syncBatch's long list of operations several times faster than graphql-js;
 * every other document runs on graphql-js.
 *
 * Why only trusted documents: graphql-jit writes a document's literal values into the JavaScript
 * it generates, and some texts become code there (a literal `"__MAGIC_DATE__…"` runs as an
 * expression). A request's document is compared with the trusted ones by its printed form, and the
 * server's own copy is what gets compiled, so nothing a client wrote reaches code generation;
 * values travel as variables, which jit reads at run time.
 */
export function useJit({ trusted }: JitOptions): Plugin {
  const byText = new Map<string, Trusted>(
    trusted.map((document) => [
      print(document),
      { document, operationName: operationNameOf(document) },
    ]),
  );
  // A document yoga parsed once (it caches parses by text) is printed and looked up once.
  const seen = new WeakMap<DocumentNode, Trusted | null>();

  const compiledFor = (args: ExecutionArgs): CompiledQuery | null => {
    let match = seen.get(args.document);
    if (match === undefined) {
      match =
        args.document.definitions.length === 1 ? (byText.get(print(args.document)) ?? null) : null;
      seen.set(args.document, match);
    }
    if (!match) return null;
    const name = args.operationName ?? undefined;
    if (name !== undefined && name !== match.operationName) return null;
    if (match.compiled === undefined) {
      const result = compileQuery(args.schema, match.document, match.operationName);
      match.compiled = isCompiledQuery(result) ? result : null;
    }
    return match.compiled;
  };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const query = compiledFor(args);
      if (!query) return;
      setExecuteFn(async (executionArgs) => {
        const result = await query.query(
          executionArgs.rootValue,
          executionArgs.contextValue,
          executionArgs.variableValues,
        );
        // Variables jit refuses: graphql-js's error names the variable and the path at fault.
        // Nothing has run when jit refuses variables, so executing again runs nothing twice.
        if (!("data" in result)) return executeFn(executionArgs);
        return Object.assign(result, { stringify: query.stringify });
      });
    },
  };
}
