CREATE TABLE `sync_batch_mark` (
	`client_id` text PRIMARY KEY NOT NULL,
	`pruned_seq` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `sync_batch` ADD `batch_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `sync_batch_client_seq` ON `sync_batch` (`client_id`,`batch_seq`);