-- Temporary keys move from one row per key (sync_key) to runs (sync_key_run): consecutive keys
-- mapped to consecutive server keys become one run (gaps and islands), rejected keys get their
-- own table. sync_key itself is dropped by the next migration.
INSERT INTO `sync_key_run` (`client_id`, `table_name`, `first_client`, `last_client`, `first_server`)
SELECT `client_id`, `table_name`, max(`client_key`), min(`client_key`), min(`server_key`)
FROM (
  SELECT `client_id`, `table_name`, `client_key`, `server_key`,
         `client_key` + row_number() OVER (
           PARTITION BY `client_id`, `table_name`, `server_key` + `client_key` ORDER BY `client_key` DESC
         ) AS `island`
  FROM `sync_key` WHERE `server_key` IS NOT NULL
)
GROUP BY `client_id`, `table_name`, `server_key` + `client_key`, `island`;
--> statement-breakpoint
INSERT INTO `sync_rejected_key` (`client_id`, `table_name`, `client_key`)
SELECT `client_id`, `table_name`, `client_key` FROM `sync_key` WHERE `server_key` IS NULL;
