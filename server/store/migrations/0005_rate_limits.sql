CREATE TABLE `sync_rate` (
	`key` text PRIMARY KEY NOT NULL,
	`ready_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sync_rate_ready_at` ON `sync_rate` (`ready_at`);