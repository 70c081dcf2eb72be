ALTER TABLE "sync_scope_exit" ADD COLUMN "version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_writer_exit" ADD COLUMN "version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-written: an exit saved before this step takes the version its row has now, which is what
-- its DELETE carried until now; later exits keep the version the row left with.
UPDATE "sync_scope_exit" e SET "version" = r."version" FROM "sync_row" r
  WHERE r."table_name" = e."table_name" AND r."row_key" = e."row_key";--> statement-breakpoint
UPDATE "sync_writer_exit" w SET "version" = r."version" FROM "sync_row" r
  WHERE r."table_name" = w."table_name" AND r."row_key" = w."row_key";
