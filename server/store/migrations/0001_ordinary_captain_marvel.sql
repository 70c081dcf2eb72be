CREATE TABLE `sync_rejected_row` (
	`client_id` text NOT NULL,
	`table_name` text NOT NULL,
	`row_key` text NOT NULL,
	PRIMARY KEY(`client_id`, `table_name`, `row_key`)
);
