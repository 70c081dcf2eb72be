/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query SyncLimits {\n    syncLimits {\n      maxOperationsPerRequest\n      maxBodyBytes\n    }\n  }\n": typeof types.SyncLimitsDocument,
    "\n  mutation SyncBatch($input: SyncBatchInput!) {\n    syncBatch(input: $input) {\n      batchId\n      replayed\n      results {\n        eventId\n        status\n        error {\n          code\n          message\n        }\n        version\n        conflict {\n          serverVersion\n          serverRow\n          columns\n          resolution\n        }\n      }\n      keyMappings {\n        table\n        clientKey\n        serverKey\n      }\n    }\n  }\n": typeof types.SyncBatchDocument,
    "\n  query SyncChanges($input: SyncChangesInput!) {\n    syncChanges(input: $input) {\n      changes {\n        table\n        key\n        kind\n        version\n        data\n      }\n      cursor\n      hasMore\n      snapshotStart\n      reset\n    }\n  }\n": typeof types.SyncChangesDocument,
};
const documents: Documents = {
    "\n  query SyncLimits {\n    syncLimits {\n      maxOperationsPerRequest\n      maxBodyBytes\n    }\n  }\n": types.SyncLimitsDocument,
    "\n  mutation SyncBatch($input: SyncBatchInput!) {\n    syncBatch(input: $input) {\n      batchId\n      replayed\n      results {\n        eventId\n        status\n        error {\n          code\n          message\n        }\n        version\n        conflict {\n          serverVersion\n          serverRow\n          columns\n          resolution\n        }\n      }\n      keyMappings {\n        table\n        clientKey\n        serverKey\n      }\n    }\n  }\n": types.SyncBatchDocument,
    "\n  query SyncChanges($input: SyncChangesInput!) {\n    syncChanges(input: $input) {\n      changes {\n        table\n        key\n        kind\n        version\n        data\n      }\n      cursor\n      hasMore\n      snapshotStart\n      reset\n    }\n  }\n": types.SyncChangesDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SyncLimits {\n    syncLimits {\n      maxOperationsPerRequest\n      maxBodyBytes\n    }\n  }\n"): (typeof documents)["\n  query SyncLimits {\n    syncLimits {\n      maxOperationsPerRequest\n      maxBodyBytes\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SyncBatch($input: SyncBatchInput!) {\n    syncBatch(input: $input) {\n      batchId\n      replayed\n      results {\n        eventId\n        status\n        error {\n          code\n          message\n        }\n        version\n        conflict {\n          serverVersion\n          serverRow\n          columns\n          resolution\n        }\n      }\n      keyMappings {\n        table\n        clientKey\n        serverKey\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SyncBatch($input: SyncBatchInput!) {\n    syncBatch(input: $input) {\n      batchId\n      replayed\n      results {\n        eventId\n        status\n        error {\n          code\n          message\n        }\n        version\n        conflict {\n          serverVersion\n          serverRow\n          columns\n          resolution\n        }\n      }\n      keyMappings {\n        table\n        clientKey\n        serverKey\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SyncChanges($input: SyncChangesInput!) {\n    syncChanges(input: $input) {\n      changes {\n        table\n        key\n        kind\n        version\n        data\n      }\n      cursor\n      hasMore\n      snapshotStart\n      reset\n    }\n  }\n"): (typeof documents)["\n  query SyncChanges($input: SyncChangesInput!) {\n    syncChanges(input: $input) {\n      changes {\n        table\n        key\n        kind\n        version\n        data\n      }\n      cursor\n      hasMore\n      snapshotStart\n      reset\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;