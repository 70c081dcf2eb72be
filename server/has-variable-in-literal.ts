import { BREAK, type DocumentNode, visit } from "graphql";

const found = new WeakMap<DocumentNode, boolean>();

/**
 * Whether a variable stands inside an object or list literal (`data: { latitude: $lat }`).
 * graphql-jit resolves such a variable only where the literal is an input object; inside a
 * scalar's literal (JSON) it passes no variables and the value is silently lost. Documents are
 * the parser cache's own objects, so each is walked once.
 */
export function hasVariableInLiteral(document: DocumentNode): boolean {
  let result = found.get(document);
  if (result !== undefined) return result;
  result = false;
  let depth = 0;
  const enter = () => {
    depth += 1;
  };
  const leave = () => {
    depth -= 1;
  };
  visit(document, {
    ObjectValue: { enter, leave },
    ListValue: { enter, leave },
    // Variable definitions stand outside any literal (their defaults hold no variables).
    Variable() {
      if (depth === 0) return undefined;
      result = true;
      return BREAK;
    },
  });
  found.set(document, result);
  return result;
}
