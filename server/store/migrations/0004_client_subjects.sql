CREATE TABLE `sync_client` (
	`client_id` text PRIMARY KEY NOT NULL,
	`subject` text NOT NULL,
	`bound_at` integer NOT NULL,
	`revoked` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sync_client_subject` ON `sync_client` (`subject`);