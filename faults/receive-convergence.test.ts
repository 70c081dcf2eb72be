import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkEnd, finalRounds } from "../test-utils/convergence-end.ts";
import { ConvergenceHistory } from "../test-utils/convergence-history.ts";
import { type ConvergenceTotals, clientIds } from "../test-utils/convergence-setup.ts";
import { faultKinds, runStep, type StepKind } from "../test-utils/convergence-steps.ts";
import { seededRandom } from "../test-utils/seeded-random.ts";

// The convergence property of receive (issue 16, "Tests"): devices with overlapping read scopes
// write at random (inserts, updates, deletes, projects moved between teams, checkpoints) and sync
// at random, through lost and duplicated answers and pages, clients closed between staging and
// applying, app writes while a receive applies, server restarts and tombstones purged while a
// device is offline. After a final round of syncs: every device holds exactly the server's rows
// in its read scopes, nothing lost, nothing doubled, storage intact, no deleted row back, and a
// cursor that went back only on a reset.

/** Fixed seed, fixed count: the same histories every run (env overrides, to explore). */
const runs = Number(process.env.CONVERGENCE_RUNS ?? 10);
const seed = Number(process.env.CONVERGENCE_SEED ?? 20261204);
/** Prints each history's log, failing or not. */
const verbose = process.env.CONVERGENCE_VERBOSE === "1";

const step = fc.record({
  device: fc.integer({ min: 0, max: clientIds.length - 1 }),
  kind: fc.oneof(
    { arbitrary: fc.constant<StepKind>("write"), weight: 10 },
    { arbitrary: fc.constant<StepKind>("sync"), weight: 5 },
    { arbitrary: fc.constant<StepKind>("receive-only"), weight: 2 },
    { arbitrary: fc.constantFrom<StepKind>(...faultKinds), weight: 5 },
    { arbitrary: fc.constant<StepKind>("close-mid-receive"), weight: 2 },
    { arbitrary: fc.constant<StepKind>("write-during-apply"), weight: 2 },
    { arbitrary: fc.constant<StepKind>("server-restart"), weight: 1 },
    { arbitrary: fc.constant<StepKind>("purge-offline"), weight: 1 },
  ),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});
const history = fc.array(step, { minLength: 24, maxLength: 48 });

/** Figures over every history, for the closing note. */
const totals: ConvergenceTotals = {
  histories: 0,
  steps: 0,
  events: 0,
  syncs: 0,
  appWritesRefused: 0,
  faults: {},
  rejected: {},
  resets: {},
  held: 0,
};

describe("receive convergence", () => {
  it("devices with overlapping scopes end equal to the server in their scopes", {
    timeout: 180_000,
  }, async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(history, async (steps) => {
        const h = new ConvergenceHistory(totals);
        totals.histories += 1;
        try {
          await h.start();
          // fast-check draws some seeds more than once; the step's index keeps their numbers apart.
          for (const [index, { kind, device, seed }] of steps.entries()) {
            await runStep(h, kind, device, seededRandom(seed + index * 7_919));
          }
          await finalRounds(h);
          await checkEnd(h);
          expect(h.problems, h.log.join("\n")).toEqual([]);
        } finally {
          if (verbose) console.info(h.log.join("\n"));
          await h.close();
        }
      }),
      { seed, numRuns: runs, endOnFailure: true },
    );
    const faults = Object.values(totals.faults).reduce((sum, n) => sum + n, 0);
    console.log(
      `receive convergence: ${totals.histories} histories, ${clientIds.length} devices, ${totals.steps} steps, ${totals.events} events, ${totals.syncs} syncs, ${faults} faults ${JSON.stringify(totals.faults)}, rejected ${JSON.stringify(totals.rejected)}, resets ${JSON.stringify(totals.resets)}, held ${totals.held}, app writes refused ${totals.appWritesRefused}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
