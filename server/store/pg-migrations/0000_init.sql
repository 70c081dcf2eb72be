CREATE TABLE "sync_batch" (
	"client_id" text NOT NULL,
	"batch_id" text NOT NULL,
	"request_hash" text NOT NULL,
	"answer" text NOT NULL,
	"created_at" text NOT NULL,
	"batch_seq" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "sync_batch_client_id_batch_id_pk" PRIMARY KEY("client_id","batch_id")
);
--> statement-breakpoint
CREATE TABLE "sync_batch_mark" (
	"client_id" text PRIMARY KEY NOT NULL,
	"pruned_seq" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_client" (
	"client_id" text PRIMARY KEY NOT NULL,
	"subject" text NOT NULL,
	"bound_at" bigint NOT NULL,
	"revoked" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_commit" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"committed_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_key_block" (
	"table_name" text PRIMARY KEY NOT NULL,
	"next_key" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_key_run" (
	"client_id" text NOT NULL,
	"table_name" text NOT NULL,
	"first_client" bigint NOT NULL,
	"last_client" bigint NOT NULL,
	"first_server" bigint NOT NULL,
	CONSTRAINT "sync_key_run_client_id_table_name_first_client_pk" PRIMARY KEY("client_id","table_name","first_client")
);
--> statement-breakpoint
CREATE TABLE "sync_meta" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_rate" (
	"key" text PRIMARY KEY NOT NULL,
	"ready_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_rejected_key" (
	"client_id" text NOT NULL,
	"table_name" text NOT NULL,
	"client_key" bigint NOT NULL,
	CONSTRAINT "sync_rejected_key_client_id_table_name_client_key_pk" PRIMARY KEY("client_id","table_name","client_key")
);
--> statement-breakpoint
CREATE TABLE "sync_rejected_row" (
	"client_id" text NOT NULL,
	"table_name" text NOT NULL,
	"row_key" text NOT NULL,
	CONSTRAINT "sync_rejected_row_client_id_table_name_row_key_pk" PRIMARY KEY("client_id","table_name","row_key")
);
--> statement-breakpoint
CREATE TABLE "sync_row" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"table_name" text NOT NULL,
	"row_key" text NOT NULL,
	"version" bigint NOT NULL,
	"scope" text NOT NULL,
	"deleted" bigint NOT NULL,
	"changed_at" bigint NOT NULL,
	"writer" text DEFAULT '' NOT NULL,
	"writer_from" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_scope_exit" (
	"table_name" text NOT NULL,
	"row_key" text NOT NULL,
	"scope" text NOT NULL,
	"seq" bigint NOT NULL,
	"changed_at" bigint NOT NULL,
	CONSTRAINT "sync_scope_exit_table_name_row_key_scope_pk" PRIMARY KEY("table_name","row_key","scope")
);
--> statement-breakpoint
CREATE TABLE "sync_writer_exit" (
	"client_id" text NOT NULL,
	"table_name" text NOT NULL,
	"row_key" text NOT NULL,
	"seq" bigint NOT NULL,
	"changed_at" bigint NOT NULL,
	CONSTRAINT "sync_writer_exit_client_id_table_name_row_key_pk" PRIMARY KEY("client_id","table_name","row_key")
);
--> statement-breakpoint
CREATE INDEX "sync_batch_client_seq" ON "sync_batch" USING btree ("client_id","batch_seq");--> statement-breakpoint
CREATE INDEX "sync_client_subject" ON "sync_client" USING btree ("subject");--> statement-breakpoint
CREATE INDEX "sync_rate_ready_at" ON "sync_rate" USING btree ("ready_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_row_key" ON "sync_row" USING btree ("table_name","row_key");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_scope_exit_seq" ON "sync_scope_exit" USING btree ("seq");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_writer_exit_seq" ON "sync_writer_exit" USING btree ("seq");