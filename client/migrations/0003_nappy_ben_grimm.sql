CREATE TABLE `sync_mapped_run` (
	`table_name` text NOT NULL,
	`first_client` integer NOT NULL,
	`last_client` integer NOT NULL,
	`first_server` integer NOT NULL,
	PRIMARY KEY(`table_name`, `first_client`)
);
