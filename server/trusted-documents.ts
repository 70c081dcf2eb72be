import type { DocumentNode } from "graphql";
import {
  SyncBatchDocument,
  SyncChangesDocument,
  SyncLimitsDocument,
} from "../client/generated/graphql.ts";

/**
 * The operations of this project's own client, as codegen generated them from `client/`: the
 * documents the server may compile ahead (see `useJit`). Every other document is run as GraphQL
 * says, by graphql-js.
 */
export const trustedDocuments: readonly DocumentNode[] = [
  SyncBatchDocument,
  SyncLimitsDocument,
  SyncChangesDocument,
];
