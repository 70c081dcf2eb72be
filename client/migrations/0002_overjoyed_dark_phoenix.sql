CREATE TABLE `sync_receive_page` (
	`seq` integer PRIMARY KEY NOT NULL,
	`changes` text NOT NULL
);
