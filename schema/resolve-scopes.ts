import type { ColumnInfo, TableInfo } from "./define-sync-model.ts";
import type { ScopeRule, TableScope } from "./table-scope.ts";

/** A table as `defineSyncModel` describes it before its scope is known. */
export type UnscopedTable = Omit<TableInfo, "scope" | "conflicts">;

/** "a task", "an item": a row of the table, in an error message. */
const aRow = (table: string) => `${/^[aeiou]/i.test(table) ? "an" : "a"} ${table}`;

const ruleShape = '{ column: "<SQL column>" } or { parent: "<foreign-key column>" }';

function columnOf(table: UnscopedTable, name: unknown, rule: string): ColumnInfo {
  const column = typeof name === "string" ? table.columnsByName.get(name) : undefined;
  if (column) return column;
  const byProperty = table.columns.find((candidate) => candidate.property === name);
  const hint = byProperty
    ? ` Rules name SQL columns: use "${byProperty.name}" (the SQL name of ${byProperty.property}).`
    : ` Its columns: ${table.columns.map((candidate) => candidate.name).join(", ")}.`;
  throw new Error(
    `${table.name}.${String(name)}: the scope rule { ${rule}: ${JSON.stringify(name)} } names no column of ${table.name}.${hint}`,
  );
}

function ruleOf(table: UnscopedTable, rule: ScopeRule, byName: ReadonlyMap<string, ScopeRule>) {
  const hasColumn = "column" in rule && rule.column !== undefined;
  const hasParent = "parent" in rule && rule.parent !== undefined;
  if (hasColumn === hasParent) {
    throw new Error(`${table.name}: a scope rule is ${ruleShape}, exactly one of them`);
  }
  if ("column" in rule && hasColumn) {
    const column = columnOf(table, rule.column, "column");
    const where = `${table.name}.${column.name}`;
    if (column.type !== "integer" && column.type !== "text") {
      throw new Error(
        `${where} is ${column.type}: a scope column must be integer or text. Scope ${table.name} by another column.`,
      );
    }
    if (!column.notNull) {
      throw new Error(
        `${where} may be null, and a row without a scope could be read by no device: make ${column.name} NOT NULL to scope ${table.name} by it.`,
      );
    }
    return { kind: "column", column } as const;
  }
  const column = columnOf(table, "parent" in rule ? rule.parent : undefined, "parent");
  const where = `${table.name}.${column.name}`;
  const parent = column.references;
  if (parent === undefined) {
    throw new Error(
      `${where} is not a foreign key: ${table.name} can inherit its scope only through a foreign key to a synced table. Use { column: "${column.name}" } to scope ${table.name} by its value.`,
    );
  }
  if (!column.notNull) {
    throw new Error(
      `${where} may be null, and ${aRow(table.name)} without ${aRow(parent)} would have no scope to inherit: make ${column.name} NOT NULL to inherit ${parent}'s scope through it.`,
    );
  }
  if (!byName.has(parent)) {
    throw new Error(
      `${where} references ${parent}, which is global: ${table.name} has no scope to inherit through ${column.name}. Give ${parent} a scope rule, or drop ${table.name}'s rule (its rows are then global).`,
    );
  }
  return { kind: "parent", column, parent } as const;
}

function refuseCycles(scopes: ReadonlyMap<string, TableScope>): void {
  for (const start of scopes.keys()) {
    const path: string[] = [];
    let name = start;
    for (let scope = scopes.get(name); scope?.kind === "parent"; scope = scopes.get(name)) {
      const from = path.indexOf(name);
      if (from >= 0) {
        const steps = path.slice(from).map((table) => {
          const step = scopes.get(table);
          return step?.kind === "parent" ? `${table}.${step.column.name} → ${step.parent}` : table;
        });
        throw new Error(
          `scope cycle: ${steps.join(", ")}: following parents must end at a table scoped by a { column } rule. Give one of these tables a { column } rule instead of its { parent } rule.`,
        );
      }
      path.push(name);
      name = scope.parent;
    }
  }
}

/** No child visible without its parent: every foreign key to a scoped table is the one inherited. */
function refuseOrphans(tables: readonly UnscopedTable[], scopes: ReadonlyMap<string, TableScope>) {
  const scoped = (name: string | undefined) =>
    (scopes.get(name ?? "")?.kind ?? "global") !== "global";
  for (const table of tables) {
    const toScoped = table.references.filter((column) => scoped(column.references));
    const scope = scopes.get(table.name) ?? { kind: "global" };
    if (toScoped.length > 1) {
      const columns = toScoped.map((column) => `${table.name}.${column.name}`).join(" and ");
      const parents = toScoped.map((column) => column.references).join(" and ");
      throw new Error(
        `${columns} reference ${parents}, whose rows are scoped: ${aRow(table.name)} can inherit its scope through only one foreign key, so a device could read ${aRow(table.name)} but not one of its parents. Make all but one of ${parents} global, or drop the other references.`,
      );
    }
    const [column] = toScoped;
    if (!column || (scope.kind === "parent" && scope.column === column)) continue;
    const notNull = column.notNull ? "" : ` (and make ${column.name} NOT NULL)`;
    throw new Error(
      `${table.name}.${column.name} references ${column.references}, whose rows are scoped: a device could read ${aRow(table.name)} but not its ${column.references}. Give ${table.name} { parent: "${column.name}" }${notNull}, or make ${column.references} global.`,
    );
  }
}

/**
 * Resolves a model's scope rules (by the tables' drizzle property names) to each table's scope, by
 * SQL table name. Throws, naming the table and column, for a rule of a table not in the model, a
 * column that does not exist, a `column` rule on a nullable or real column, a `parent` rule on a
 * column that is not a NOT NULL foreign key or whose table is global, a cycle of `parent` rules,
 * and a foreign key to a scoped table that the table does not inherit its scope through (a device
 * could then read the child but not its parent).
 */
export function resolveScopes(
  tables: readonly (readonly [property: string, table: UnscopedTable])[],
  rules: Readonly<Record<string, ScopeRule | undefined>>,
): Map<string, TableScope> {
  const byProperty = new Map(tables);
  const ruleByName = new Map<string, ScopeRule>();
  for (const [property, rule] of Object.entries(rules)) {
    if (rule === undefined) continue;
    const table = byProperty.get(property);
    if (!table) {
      throw new Error(
        `scopes.${property}: no table "${property}" in the model. Rules are keyed by the property names of the tables object: ${[...byProperty.keys()].join(", ")}.`,
      );
    }
    if (typeof rule !== "object" || rule === null) {
      throw new Error(`${table.name}: a scope rule is ${ruleShape}`);
    }
    ruleByName.set(table.name, rule);
  }
  const scopes = new Map<string, TableScope>();
  for (const [, table] of tables) {
    const rule = ruleByName.get(table.name);
    scopes.set(table.name, rule ? ruleOf(table, rule, ruleByName) : { kind: "global" });
  }
  refuseCycles(scopes);
  refuseOrphans(
    tables.map(([, table]) => table),
    scopes,
  );
  return scopes;
}
