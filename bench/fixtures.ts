import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { createSyncClient } from "../client/index.ts";
import { exampleTables as t } from "../schema/index.ts";

/** A device database made once through the client API and copied for every run. */
export interface DeviceTemplate {
  readonly path: string;
  readonly operations: number;
}

const unreachable = "http://127.0.0.1:9/graphql";

async function finish(path: string): Promise<void> {
  const raw = createClient({ url: `file:${path}` });
  await raw.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  raw.close();
}

/** `count` location fixes with a checkpoint after every `every` (0: none). */
export async function locationTemplate(
  dir: string,
  count: number,
  every: number,
): Promise<DeviceTemplate> {
  const path = join(dir, `locations-${count}-${every}.db`);
  if (existsSync(path)) return { path, operations: count };
  const client = await createSyncClient({ database: `file:${path}`, endpoint: unreachable });
  const chunk = 10_000;
  for (let start = 0; start < count; start += chunk) {
    await client.transaction(async (w) => {
      for (let i = start; i < Math.min(count, start + chunk); i++) {
        await w.insert(t.location, {
          deviceId: "bench-phone",
          latitude: 41.39 + (i % 1000) / 1e5,
          longitude: 2.17 - (i % 777) / 1e5,
          recordedAt: new Date(Date.UTC(2026, 0, 1) + i * 300_000).toISOString(),
        });
        if (every > 0 && (i + 1) % every === 0) await w.setSendCheckpoint();
      }
    });
  }
  await client.close();
  await finish(path);
  return { path, operations: count };
}

/** `customers` customers × 3 invoices × 3 lines, with a checkpoint after every `every` events. */
export async function relatedTemplate(
  dir: string,
  customers: number,
  every: number,
): Promise<DeviceTemplate> {
  const path = join(dir, `related-${customers}-${every}.db`);
  const operations = customers * 13;
  if (existsSync(path)) return { path, operations };
  const client = await createSyncClient({ database: `file:${path}`, endpoint: unreachable });
  let events = 0;
  for (let start = 0; start < customers; start += 1000) {
    await client.transaction(async (w) => {
      const step = async () => {
        events += 1;
        if (events % every === 0) await w.setSendCheckpoint();
      };
      for (let c = start; c < Math.min(customers, start + 1000); c++) {
        const customerId = await w.insert(t.customer, {
          name: `customer ${c}`,
          email: `c${c}@example.com`,
        });
        await step();
        for (let i = 0; i < 3; i++) {
          const invoiceId = await w.insert(t.invoice, {
            customerId,
            issuedAt: "2026-11-26",
            total: 30,
          });
          await step();
          for (let l = 0; l < 3; l++) {
            await w.insert(t.invoiceLine, {
              invoiceId,
              product: `product ${l}`,
              quantity: l + 1,
              price: 10,
            });
            await step();
          }
        }
      }
    });
  }
  await client.close();
  await finish(path);
  return { path, operations };
}

/** A fresh copy of a template, optionally under another client id (for many devices). */
export async function copyTemplate(
  template: DeviceTemplate,
  to: string,
  clientId?: string,
): Promise<string> {
  copyFileSync(template.path, to);
  if (clientId) {
    const raw = createClient({ url: `file:${to}` });
    await raw.execute({
      sql: "UPDATE sync_state SET value = ? WHERE name = 'client_id'",
      args: [clientId],
    });
    raw.close();
  }
  return `file:${to}`;
}
