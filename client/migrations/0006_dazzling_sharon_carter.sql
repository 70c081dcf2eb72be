PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_sync_outbox_ref` (
	`seq` integer NOT NULL,
	`column_name` text,
	`ref_table` text NOT NULL,
	`ref_key` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_sync_outbox_ref`("seq", "column_name", "ref_table", "ref_key") SELECT "seq", "column_name", "ref_table", "ref_key" FROM `sync_outbox_ref`;--> statement-breakpoint
DROP TABLE `sync_outbox_ref`;--> statement-breakpoint
ALTER TABLE `__new_sync_outbox_ref` RENAME TO `sync_outbox_ref`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `sync_outbox_ref_target` ON `sync_outbox_ref` (`ref_table`,`ref_key`);--> statement-breakpoint
CREATE INDEX `sync_outbox_ref_seq` ON `sync_outbox_ref` (`seq`);