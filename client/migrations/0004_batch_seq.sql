ALTER TABLE `sync_batch` ADD `batch_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-written (drizzle-kit writes no data steps): a device with open batches numbers them in the
-- order they were formed, from 1, and its counter continues above them.
UPDATE `sync_batch` SET `batch_seq` = `formed`;--> statement-breakpoint
INSERT INTO `sync_state` (`name`, `value`) SELECT 'last_batch_seq', CAST(max(`batch_seq`) AS TEXT) FROM `sync_batch` HAVING count(*) > 0;
