// Dev aid: import first to see where SQL time goes (statement kind → total ms, count).
import { appendFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const Database = require("libsql") as {
  prototype: { prepare: (sql: string) => Record<string, unknown> };
};
const totals = new Map<string, [number, number]>();
/** Forgets what was measured so far. */
export const resetSqlTrace = (): void => totals.clear();
const original = Database.prototype.prepare;
Database.prototype.prepare = function prepare(this: unknown, sql: string) {
  const started = performance.now();
  const statement = original.call(this, sql);
  const key = sql.replace(/\s+/g, " ").slice(0, 90);
  const add = (ms: number) => {
    const entry = totals.get(key) ?? [0, 0];
    entry[0] += ms;
    entry[1] += 1;
    totals.set(key, entry);
  };
  add(performance.now() - started);
  for (const name of ["run", "all"]) {
    const fn = statement[name] as (...args: unknown[]) => unknown;
    statement[name] = (...args: unknown[]) => {
      const t = performance.now();
      try {
        return fn.apply(statement, args);
      } finally {
        add(performance.now() - t);
      }
    };
  }
  return statement;
};
// TRACE_SQL_FILE: appended to that file instead (a server process, whose stderr nobody shows).
process.on("exit", () => {
  if (!process.env.TRACE_SQL && !process.env.TRACE_SQL_FILE) return;
  const lines = [...totals]
    .sort((a, b) => b[1][0] - a[1][0])
    .slice(0, 25)
    .map(([sql, [ms, n]]) => `${ms.toFixed(0).padStart(7)} ms ${String(n).padStart(7)}x ${sql}\n`);
  if (process.env.TRACE_SQL_FILE) {
    appendFileSync(process.env.TRACE_SQL_FILE, `== ${process.pid}\n${lines.join("")}`);
  } else console.error(lines.join("").trimEnd());
});
