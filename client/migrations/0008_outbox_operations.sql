-- Each waiting event gets its wire form (a SyncOperationInput, keys in sorted order), which a
-- piece's body is joined from; the data column it replaces is dropped by the next migration.
UPDATE `sync_outbox` SET `operation` = json_object(
  'data', json(`data`),
  'eventId', CAST(`seq` AS TEXT),
  'key', `row_key`,
  'kind', upper(`kind`),
  'table', `table_name`
) WHERE `kind` != 'checkpoint';
