import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A customer; the server numbers its rows. */
export const customer = sqliteTable("customer", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  email: text("email"),
});

/** An invoice of a customer; the server numbers its rows. */
export const invoice = sqliteTable(
  "invoice",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    customerId: integer("customer_id")
      .notNull()
      .references(() => customer.id),
    issuedAt: text("issued_at").notNull(),
    total: real("total").notNull(),
  },
  (table) => [index("invoice_customer_id").on(table.customerId)],
);

/** A line of an invoice; the server numbers its rows. */
export const invoiceLine = sqliteTable(
  "invoice_line",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    invoiceId: integer("invoice_id")
      .notNull()
      .references(() => invoice.id),
    product: text("product").notNull(),
    quantity: integer("quantity").notNull(),
    price: real("price").notNull(),
  },
  (table) => [index("invoice_line_invoice_id").on(table.invoiceId)],
);

/** A position fix of a device; the server numbers its rows. */
export const location = sqliteTable("location", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  deviceId: text("device_id").notNull(),
  latitude: real("latitude").notNull(),
  longitude: real("longitude").notNull(),
  recordedAt: text("recorded_at").notNull(),
});

/** A note, keyed by a UUID the device makes: it passes through unmapped. */
export const note = sqliteTable(
  "note",
  {
    id: text("id").primaryKey(),
    customerId: integer("customer_id").references(() => customer.id),
    body: text("body").notNull(),
  },
  (table) => [index("note_customer_id").on(table.customerId)],
);
