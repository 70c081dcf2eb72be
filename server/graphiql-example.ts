/** What GraphiQL opens with: the seed's customer and two invoices, in one request. */
export const graphiqlExample = `# The seed article's scenario: a customer created offline (temporary key -1)
# and two invoices that reference it, sent in one request. The server numbers
# the rows, rewrites the invoices' customer_id, and answers with key mappings.
# Run it twice: the second answer is the stored one (replayed: true).
mutation SeedScenario {
  syncBatch(
    input: {
      clientId: "graphiql-device"
      batchId: "graphiql-batch-1"
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

# The synced model and the server's limits:
query Explore {
  syncLimits { maxOperationsPerRequest maxBodyBytes }
  syncModel { name keyKind keyColumn columns { name type notNull references } }
}
`;
