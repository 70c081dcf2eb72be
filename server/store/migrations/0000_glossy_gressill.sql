CREATE TABLE `sync_batch` (
	`client_id` text NOT NULL,
	`batch_id` text NOT NULL,
	`request_hash` text NOT NULL,
	`answer` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`client_id`, `batch_id`)
);
--> statement-breakpoint
CREATE TABLE `sync_key` (
	`client_id` text NOT NULL,
	`table_name` text NOT NULL,
	`client_key` integer NOT NULL,
	`server_key` integer,
	PRIMARY KEY(`client_id`, `table_name`, `client_key`)
);
