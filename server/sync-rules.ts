import type {
  KeyMapping,
  OperationKind,
  OperationVerdict,
  Rejection,
  SyncOperation,
} from "./operation.ts";

/** An operation as a rule sees it: as the device sent it (keys and references as it named them). */
export interface RuleOperation {
  readonly clientId: string;
  readonly batchId: string;
  /** Its position in the request. */
  readonly index: number;
  readonly eventId: string;
  readonly table: string;
  readonly kind: OperationKind;
  readonly key: string;
  /** INSERT: the row's columns; UPDATE: the changed ones; DELETE: null. SQL column names. */
  readonly data: Readonly<Record<string, unknown>> | null;
}

/**
 * What `beforeOperation` decides: nothing (undefined: apply as sent), `data` to apply instead
 * (checked as a device's data is), or a rejection (code default `RULE_VIOLATION`; an app's own
 * code is capitals, digits and `_`).
 */
export type RuleVerdict =
  | undefined
  | { readonly data: Readonly<Record<string, unknown>> }
  | { readonly reject: string | { readonly code?: string; readonly message: string } };

/** What `beforeOperation` returns; nothing applies the operation as sent. */
// biome-ignore lint/suspicious/noConfusingVoidType: a rule written as a block with no return gives void
export type BeforeOperationResult = RuleVerdict | void;

/** A request as the batch rules see it. */
export interface RuleBatch {
  readonly clientId: string;
  readonly batchId: string;
  readonly operations: readonly SyncOperation[];
}

/** A request and its verdicts, once applied. */
export interface RuleOutcome extends RuleBatch {
  readonly results: readonly OperationVerdict[];
  readonly keyMappings: readonly KeyMapping[];
}

/**
 * An app's business rules, run where the data lands (SYNC.md, "Server rules"). All but
 * `afterCommit` run inside the request's transaction: a rule that throws fails the request whole,
 * nothing applied, its error masked. `beforeOperation` runs for every operation in order before
 * any is applied, `afterOperation` for every one in order once all are. Their verdicts are part
 * of the stored answer: a replay runs no rule. `afterCommit` runs after the commit (not for a
 * replay); what it throws is logged and changes nothing.
 */
export interface SyncRules {
  readonly beforeBatch?: (batch: RuleBatch) => void | Promise<void>;
  readonly beforeOperation?: (
    operation: RuleOperation,
  ) => BeforeOperationResult | Promise<BeforeOperationResult>;
  readonly afterOperation?: (
    operation: RuleOperation & { readonly result: OperationVerdict },
  ) => void | Promise<void>;
  readonly afterBatch?: (outcome: RuleOutcome) => void | Promise<void>;
  readonly afterCommit?: (outcome: RuleOutcome) => void | Promise<void>;
}

const appCode = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The rule operation of `operations[index]`. */
export function ruleOperation(batch: RuleBatch, index: number): RuleOperation {
  const { eventId, table, kind, key, data } = batch.operations[index] as SyncOperation;
  return {
    clientId: batch.clientId,
    batchId: batch.batchId,
    index,
    eventId,
    table,
    kind,
    key,
    data: (data ?? null) as Record<string, unknown> | null,
  };
}

/** A rule's mistake: it fails the request (masked), naming the rule for the server's log. */
const ruleError = (message: string): Error => new TypeError(`beforeOperation: ${message}`);

/**
 * Runs `beforeOperation` over a request: the operations to apply (data replaced where a rule
 * said so) and the rule's rejections by index.
 */
export async function runBeforeOperation(
  rules: SyncRules,
  batch: RuleBatch,
): Promise<{ operations: SyncOperation[]; rejections: Map<number, Rejection> }> {
  const operations = [...batch.operations];
  const rejections = new Map<number, Rejection>();
  if (!rules.beforeOperation) return { operations, rejections };
  for (let index = 0; index < operations.length; index++) {
    const verdict = await rules.beforeOperation(ruleOperation(batch, index));
    if (verdict === undefined) continue;
    if (typeof verdict !== "object" || verdict === null) throw ruleError(`returned ${verdict}`);
    if ("reject" in verdict) {
      const { reject } = verdict;
      const message = typeof reject === "string" ? reject : reject?.message;
      const code = typeof reject === "string" ? undefined : reject?.code;
      if (typeof message !== "string" || message.length === 0) {
        throw ruleError("a rejection needs a message");
      }
      if (code !== undefined && !appCode.test(code)) {
        throw ruleError(`code ${JSON.stringify(code)} is not capitals, digits and _`);
      }
      rejections.set(index, { code: code ?? "RULE_VIOLATION", message });
    } else if ("data" in verdict && typeof verdict.data === "object" && verdict.data !== null) {
      operations[index] = { ...(operations[index] as SyncOperation), data: { ...verdict.data } };
    } else {
      throw ruleError("a verdict is undefined, { data } or { reject }");
    }
  }
  return { operations, rejections };
}
