ALTER TABLE `sync_row` ADD `writer` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_row` ADD `writer_from` integer DEFAULT 0 NOT NULL;