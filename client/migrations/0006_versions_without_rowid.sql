-- Hand-written (drizzle-kit has no WITHOUT ROWID). sync_row_version is a map from a row to its
-- version: kept as its primary key's b-tree alone, each entry is written once rather than twice (a
-- table row and its key's index), and a lookup reads one b-tree.
CREATE TABLE `__sync_row_version_new` (
	`table_name` text NOT NULL,
	`row_key` text NOT NULL,
	`version` integer NOT NULL,
	PRIMARY KEY(`table_name`, `row_key`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__sync_row_version_new` (`table_name`, `row_key`, `version`)
SELECT `table_name`, `row_key`, `version` FROM `sync_row_version`;
--> statement-breakpoint
DROP TABLE `sync_row_version`;
--> statement-breakpoint
ALTER TABLE `__sync_row_version_new` RENAME TO `sync_row_version`;
