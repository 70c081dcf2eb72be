-- Hand-written (drizzle-kit writes no data steps). A rejected UPDATE or DELETE used to delete its
-- row's version, and an edit before the next receive took its base from the rejected events still
-- in the outbox. The version forgotten is now kept, negated, in sync_row_version: rows forgotten
-- before this step get the newest base their rejected events went on, as edits used until now.
INSERT OR IGNORE INTO `sync_row_version` (`table_name`, `row_key`, `version`)
SELECT `table_name`, `row_key`, -max(`operation` ->> '$.baseVersion') FROM `sync_outbox`
WHERE `status` = 'rejected' AND `kind` IN ('update', 'delete')
GROUP BY `table_name`, `row_key`
HAVING max(`operation` ->> '$.baseVersion') IS NOT NULL;
