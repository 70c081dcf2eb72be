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
