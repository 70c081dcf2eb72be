import type { CodegenConfig } from "@graphql-codegen/cli";

/** Generated from `schema/sync.graphql`: resolver types for the server, typed operations for the client. */
const config: CodegenConfig = {
  schema: "schema/sync.graphql",
  documents: ["client/**/*.ts", "!client/generated/**", "!client/**/*.test.ts"],
  ignoreNoDocuments: false,
  // Imports with their `.js` extension, so the built package resolves under Node's ESM rules.
  emitLegacyCommonJSImports: false,
  generates: {
    "server/generated/resolvers-types.ts": {
      plugins: ["typescript", "typescript-resolvers"],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { JSON: "unknown" },
        contextType: "../sync-context.ts#SyncContext",
        mappers: { SyncTable: "../../schema/index.ts#TableInfo" },
        avoidOptionals: { field: true },
      },
    },
    "client/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { JSON: "unknown" },
      },
    },
  },
};

export default config;
