import { exampleModel, type SyncModel, type TableInfo } from "../schema/index.ts";
import { type ExampleBatch, exampleBatch } from "./example-batch.ts";

/** The queries that close every example: what a device receives, what the server syncs. */
const explore = `
# What another device receives: every row once, at its latest change. Pass the
# answer's cursor to get the changes since (null: a snapshot of every row).
query Changes {
  syncChanges(input: { clientId: "graphiql-reader", cursor: null, limit: 100 }) {
    changes { table key kind version data }
    cursor
    hasMore
    reset
  }
}

# The synced model and the server's limits:
query Explore {
  syncLimits { maxOperationsPerRequest maxBodyBytes maxChangesPerPage tombstoneRetentionSeconds }
  syncModel {
    name keyKind keyColumn conflictPolicy { kind columnWinner }
    columns { name type notNull references default }
  }
}
`;

/**
 * Two devices change the seed's customer offline, both on version 1: the first update applies
 * (version 2), the second meets the conflict and says how the table's policy decided it.
 */
const conflictExample = `
# Two devices edited customer 1 offline, both on version 1 (baseVersion), each
# sending the values it changed as it had them (base). Run PhoneEdit, then
# LaptopEdit: the laptop's answer reports the conflict (the phone changed email
# since version 1) and how the customer table's policy (mergeColumns, the
# client's value winning a column both changed) decided it.
mutation PhoneEdit {
  syncBatch(
    input: {
      clientId: "graphiql-phone"
      batchId: "graphiql-phone-1"
      batchSeq: 1
      operations: [
        { eventId: "1", table: "customer", kind: UPDATE, key: "1"
          data: { email: "ada@phone.example" }
          baseVersion: 1, base: { email: "ada@example.com" } }
      ]
    }
  ) {
    results { eventId status version conflict { serverVersion columns resolution } }
  }
}

mutation LaptopEdit {
  syncBatch(
    input: {
      clientId: "graphiql-laptop"
      batchId: "graphiql-laptop-1"
      batchSeq: 1
      operations: [
        { eventId: "1", table: "customer", kind: UPDATE, key: "1"
          data: { name: "Ada King", email: "ada@laptop.example" }
          baseVersion: 1, base: { name: "Ada Lovelace", email: "ada@example.com" } }
      ]
    }
  ) {
    results {
      eventId status version error { code message }
      conflict { serverVersion serverRow columns resolution }
    }
  }
}
`;

/** What GraphiQL opens with on the example model: the seed's customer and two invoices, in one request. */
export const graphiqlExample = `# The seed article's scenario: a customer created offline (temporary key -1)
# and two invoices that reference it, sent in one request. The server numbers
# the rows, rewrites the invoices' customer_id, and answers with key mappings.
# Run it twice: the second answer is the stored one (replayed: true). A device
# numbers its batches (batchSeq, from 1, one more for each new batch) and sends
# a batch again with the same batchId and batchSeq.
mutation SeedScenario {
  syncBatch(
    input: {
      clientId: "graphiql-device"
      batchId: "graphiql-batch-1"
      batchSeq: 1
      operations: [
        { eventId: "1", table: "customer", kind: INSERT, key: "-1"
          data: { name: "Ada Lovelace", email: "ada@example.com" } }
        { eventId: "2", table: "invoice", kind: INSERT, key: "-1"
          data: { customer_id: -1, issued_at: "2026-11-26", total: 120.5 } }
        { eventId: "3", table: "invoice", kind: INSERT, key: "-2"
          data: { customer_id: -1, issued_at: "2026-11-27", total: 80 } }
      ]
    }
  ) {
    batchId
    replayed
    results { eventId status error { code message } }
    keyMappings { table clientKey serverKey }
  }
}
${conflictExample}${explore}`;

/** A value of `data` as a GraphQL literal: a JSON string is a GraphQL string. */
const literal = (value: string | number): string =>
  typeof value === "number" ? String(value) : JSON.stringify(value);

/** How a row of `table` gets its key in the example. */
const keyed = (table: TableInfo): string =>
  table.keyKind === "autonumber"
    ? "created offline (temporary key -1)"
    : "with a key made on the device (a UUID)";

/** What the example shows, as the comment above it says it. */
function describeBatch(model: SyncModel, { inserts, reference }: ExampleBatch): string[] {
  const lines: string[] = [];
  const [first] = inserts;
  const firstTable = model.byName.get(first?.table ?? "");
  if (reference) {
    const { parent, child, column } = reference;
    lines.push(
      `# A ${parent.name} row ${keyed(parent)} and two ${child.name} rows`,
      `# that refer to it by that key in ${column.name}, sent in one request.`,
    );
    if (parent.keyKind === "autonumber") {
      lines.push(
        `# The server numbers the rows, rewrites ${child.name}.${column.name}, and answers with key mappings.`,
      );
    }
  } else if (firstTable) {
    lines.push(`# A ${firstTable.name} row ${keyed(firstTable)}, sent in one request.`);
  }
  const defaults = inserts.some((insert) =>
    model.byName.get(insert.table)?.dataColumns.some((column) => column.hasDefault),
  );
  if (defaults) lines.push("# Columns with an SQL default are left out: the server fills them in.");
  lines.push(
    "# Run it twice: the second answer is the stored one (replayed: true). A device",
    "# numbers its batches (batchSeq, from 1, one more for each new batch) and sends",
    "# a batch again with the same batchId and batchSeq.",
  );
  return lines;
}

/** The mutation and query for a model other than the example model (see {@link exampleBatch}). */
function builtExample(model: SyncModel): string {
  const batch = exampleBatch(model);
  if (batch.inserts.length === 0) {
    return `# No table of this model can be written as a literal: a required column's name is not a
# GraphQL name. Send syncBatch with the operations in variables.
${explore}`;
  }
  const operations = batch.inserts.map((insert, index) => {
    const data = Object.entries(insert.data)
      .map(([name, value]) => `${name}: ${literal(value)}`)
      .join(", ");
    return `        { eventId: "${index + 1}", table: ${JSON.stringify(insert.table)}, kind: INSERT, key: ${JSON.stringify(insert.key)}
          data: { ${data} } }`;
  });
  return `${describeBatch(model, batch).join("\n")}
mutation ExampleBatch {
  syncBatch(
    input: {
      clientId: "graphiql-device"
      batchId: "graphiql-batch-1"
      batchSeq: 1
      operations: [
${operations.join("\n")}
      ]
    }
  ) {
    batchId
    replayed
    results { eventId status error { code message } }
    keyMappings { table clientKey serverKey }
  }
}
${explore}`;
}

/**
 * What GraphiQL opens with on a server running `model`: a ready `syncBatch` that the server
 * applies (on a database without the example's rows), and the query that explores the model.
 * The example model keeps the seed article's scenario ({@link graphiqlExample}); any other model
 * gets one built from its tables, so the example never names a table the server does not sync.
 */
export function graphiqlExampleFor(model: SyncModel): string {
  return model === exampleModel ? graphiqlExample : builtExample(model);
}
