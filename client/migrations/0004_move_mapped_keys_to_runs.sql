-- Applied key mappings move from one row per key (sync_mapped_key) to runs (sync_mapped_run):
-- consecutive temporary keys mapped to consecutive server keys become one run (gaps and
-- islands: within a run, temporary key + server key is constant and the temporary keys are
-- consecutive). sync_mapped_key itself is dropped by the next migration.
INSERT INTO `sync_mapped_run` (`table_name`, `first_client`, `last_client`, `first_server`)
SELECT `table_name`, max(`client_key`), min(`client_key`), min(`server_key`)
FROM (
  SELECT `table_name`, `client_key`, `server_key`,
         `client_key` + row_number() OVER (
           PARTITION BY `table_name`, `server_key` + `client_key` ORDER BY `client_key` DESC
         ) AS `island`
  FROM `sync_mapped_key`
)
GROUP BY `table_name`, `server_key` + `client_key`, `island`;
