ALTER TABLE `sync_scope_exit` ADD `version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_writer_exit` ADD `version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-written: an exit saved before this step takes the version its row has now, which is what
-- its DELETE carried until now; later exits keep the version the row left with.
UPDATE `sync_scope_exit` SET `version` = coalesce((SELECT r.`version` FROM `sync_row` r
  WHERE r.`table_name` = `sync_scope_exit`.`table_name` AND r.`row_key` = `sync_scope_exit`.`row_key`), 0);--> statement-breakpoint
UPDATE `sync_writer_exit` SET `version` = coalesce((SELECT r.`version` FROM `sync_row` r
  WHERE r.`table_name` = `sync_writer_exit`.`table_name` AND r.`row_key` = `sync_writer_exit`.`row_key`), 0);
