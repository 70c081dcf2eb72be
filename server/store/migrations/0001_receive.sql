CREATE TABLE `sync_commit` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`committed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_meta` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_row` (
	`seq` integer PRIMARY KEY NOT NULL,
	`table_name` text NOT NULL,
	`row_key` blob NOT NULL,
	`version` integer NOT NULL,
	`scope` text NOT NULL,
	`deleted` integer NOT NULL,
	`changed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sync_row_key` ON `sync_row` (`table_name`,`row_key`);--> statement-breakpoint
CREATE TABLE `sync_scope_exit` (
	`table_name` text NOT NULL,
	`row_key` blob NOT NULL,
	`scope` text NOT NULL,
	`seq` integer NOT NULL,
	`changed_at` integer NOT NULL,
	PRIMARY KEY(`table_name`, `row_key`, `scope`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sync_scope_exit_seq` ON `sync_scope_exit` (`seq`);