DROP INDEX `sync_outbox_status_seq`;--> statement-breakpoint
CREATE INDEX `sync_outbox_rejected` ON `sync_outbox` (`seq`) WHERE status = 'rejected';