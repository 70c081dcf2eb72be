-- Pieces open at the upgrade: rowid is the order they were inserted (formed) in, and the version
-- before this one resent them by it; their formation order starts from it.
UPDATE `sync_piece` SET `formed` = `rowid`;
