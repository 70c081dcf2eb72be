CREATE TABLE "customer" (
	"id" bigint PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text
);
--> statement-breakpoint
CREATE TABLE "invoice" (
	"id" bigint PRIMARY KEY NOT NULL,
	"customer_id" bigint NOT NULL,
	"issued_at" text NOT NULL,
	"total" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invoice_line" (
	"id" bigint PRIMARY KEY NOT NULL,
	"invoice_id" bigint NOT NULL,
	"product" text NOT NULL,
	"quantity" bigint NOT NULL,
	"price" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "location" (
	"id" bigint PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"latitude" double precision NOT NULL,
	"longitude" double precision NOT NULL,
	"recorded_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "note" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" bigint,
	"body" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "invoice" ADD CONSTRAINT "invoice_customer_id_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customer"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_line" ADD CONSTRAINT "invoice_line_invoice_id_invoice_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoice"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "note" ADD CONSTRAINT "note_customer_id_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customer"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "invoice_customer_id" ON "invoice" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "invoice_line_invoice_id" ON "invoice_line" USING btree ("invoice_id");--> statement-breakpoint
CREATE INDEX "note_customer_id" ON "note" USING btree ("customer_id");