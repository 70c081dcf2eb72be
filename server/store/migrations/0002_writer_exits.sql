CREATE TABLE `sync_writer_exit` (
	`client_id` text NOT NULL,
	`table_name` text NOT NULL,
	`row_key` blob NOT NULL,
	`seq` integer NOT NULL,
	`changed_at` integer NOT NULL,
	PRIMARY KEY(`client_id`, `table_name`, `row_key`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sync_writer_exit_seq` ON `sync_writer_exit` (`seq`);