CREATE TABLE `sync_batch` (
	`batch_id` text PRIMARY KEY NOT NULL,
	`first_seq` integer NOT NULL,
	`last_seq` integer NOT NULL,
	`checkpoint_seq` integer,
	`formed` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_mapped_run` (
	`table_name` text NOT NULL,
	`first_client` integer NOT NULL,
	`last_client` integer NOT NULL,
	`first_server` integer NOT NULL,
	PRIMARY KEY(`table_name`, `first_client`)
);
--> statement-breakpoint
CREATE TABLE `sync_outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`table_name` text,
	`row_key` text,
	`operation` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`error_code` text,
	`error_message` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sync_outbox_rejected` ON `sync_outbox` (`seq`) WHERE status = 'rejected';--> statement-breakpoint
CREATE INDEX `sync_outbox_checkpoint` ON `sync_outbox` (`seq`) WHERE kind = 'checkpoint';--> statement-breakpoint
CREATE TABLE `sync_outbox_ref` (
	`seq` integer NOT NULL,
	`column_name` text,
	`ref_table` text NOT NULL,
	`ref_key` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sync_outbox_ref_target` ON `sync_outbox_ref` (`ref_table`,`ref_key`);--> statement-breakpoint
CREATE INDEX `sync_outbox_ref_seq` ON `sync_outbox_ref` (`seq`);--> statement-breakpoint
CREATE TABLE `sync_state` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_temp_key` (
	`table_name` text PRIMARY KEY NOT NULL,
	`last` integer NOT NULL
);
