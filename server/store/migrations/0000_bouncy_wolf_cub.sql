CREATE TABLE `sync_batch` (
	`client_id` text NOT NULL,
	`batch_id` text NOT NULL,
	`request_hash` text NOT NULL,
	`answer` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`client_id`, `batch_id`)
);
--> statement-breakpoint
CREATE TABLE `sync_key_run` (
	`client_id` text NOT NULL,
	`table_name` text NOT NULL,
	`first_client` integer NOT NULL,
	`last_client` integer NOT NULL,
	`first_server` integer NOT NULL,
	PRIMARY KEY(`client_id`, `table_name`, `first_client`)
);
--> statement-breakpoint
CREATE TABLE `sync_rejected_key` (
	`client_id` text NOT NULL,
	`table_name` text NOT NULL,
	`client_key` integer NOT NULL,
	PRIMARY KEY(`client_id`, `table_name`, `client_key`)
);
--> statement-breakpoint
CREATE TABLE `sync_rejected_row` (
	`client_id` text NOT NULL,
	`table_name` text NOT NULL,
	`row_key` text NOT NULL,
	PRIMARY KEY(`client_id`, `table_name`, `row_key`)
);
