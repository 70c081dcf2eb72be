-- Pieces open at the upgrade were formed in rowid order, which is what the previous version
-- resent them by; their formation order starts from it.
UPDATE `sync_piece` SET `formed` = `rowid`;
