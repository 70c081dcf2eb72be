CREATE TABLE `sync_receive_stage` (
	`table_name` text NOT NULL,
	`row_key` text NOT NULL,
	`kind` text NOT NULL,
	`version` integer NOT NULL,
	`data` text,
	`held` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`table_name`, `row_key`)
);
--> statement-breakpoint
CREATE TABLE `sync_row_version` (
	`table_name` text NOT NULL,
	`row_key` text NOT NULL,
	`version` integer NOT NULL,
	PRIMARY KEY(`table_name`, `row_key`)
);
