import type { LocalWriter } from "../client/index.ts";
import { type ExampleTables, exampleTables as t } from "../schema/index.ts";
import { seededRandom } from "./seeded-random.ts";

/** Options of {@link writeWorkload}. */
export interface WorkloadOptions {
  readonly events: number;
  /** A checkpoint after every this many events (0: random checkpoints with that chance per event). */
  readonly checkpointEvery?: number;
  /** The chance of a checkpoint after each event when `checkpointEvery` is not given. */
  readonly checkpointChance?: number;
  readonly seed: number;
}

/**
 * A deterministic mix of writes over every table of the example model: inserts with references to
 * rows of earlier events (so they cross segment boundaries), updates, deletes of childless rows,
 * UUID notes and location fixes. Returns the number of events recorded.
 */
export async function writeWorkload(
  writer: LocalWriter<ExampleTables>,
  options: WorkloadOptions,
): Promise<number> {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(random() * list.length)];
  const customers: number[] = [];
  const invoices: number[] = [];
  const lines: number[] = [];
  const childless = new Set<number>();
  let events = 0;
  const step = async () => {
    events += 1;
    const every = options.checkpointEvery ?? 0;
    if (every > 0 ? events % every === 0 : random() < (options.checkpointChance ?? 0.05)) {
      await writer.setSendCheckpoint();
    }
  };
  while (events < options.events) {
    const roll = random();
    if (roll < 0.15 || customers.length === 0) {
      const id = await writer.insert(t.customer, {
        name: `customer ${events}`,
        email: random() < 0.5 ? null : `c${events}@example.com`,
      });
      customers.push(id);
      childless.add(id);
    } else if (roll < 0.35) {
      const customerId = pick(customers) ?? 0;
      invoices.push(
        await writer.insert(t.invoice, {
          customerId,
          issuedAt: "2026-11-26",
          total: Math.round(random() * 1e4) / 100,
        }),
      );
      childless.delete(customerId);
    } else if (roll < 0.55 && invoices.length > 0) {
      const invoiceId = pick(invoices) ?? 0;
      lines.push(
        await writer.insert(t.invoiceLine, {
          invoiceId,
          product: `p${events}`,
          quantity: 1 + Math.floor(random() * 5),
          price: 9.99,
        }),
      );
    } else if (roll < 0.65) {
      await writer.insert(t.location, {
        deviceId: "phone",
        latitude: random() * 90,
        longitude: random() * 180,
        recordedAt: `t${events}`,
      });
    } else if (roll < 0.72) {
      const customerId = random() < 0.7 ? pick(customers) : null;
      await writer.insert(t.note, { customerId: customerId ?? null, body: `note ${events}` });
      if (customerId) childless.delete(customerId);
    } else if (roll < 0.85) {
      await writer.update(t.customer, pick(customers) ?? 0, {
        email: `changed${events}@example.com`,
      });
    } else if (roll < 0.93 && invoices.length > 0) {
      await writer.update(t.invoice, pick(invoices) ?? 0, { total: events });
    } else if (lines.length > 0) {
      const index = Math.floor(random() * lines.length);
      const [line] = lines.splice(index, 1);
      await writer.delete(t.invoiceLine, line ?? 0);
    } else if (childless.size > 0) {
      const [customer] = childless;
      childless.delete(customer ?? 0);
      customers.splice(customers.indexOf(customer ?? 0), 1);
      await writer.delete(t.customer, customer ?? 0);
    } else {
      continue;
    }
    await step();
  }
  return events;
}
