import type { YogaInitialContext } from "graphql-yoga";

/** The context every resolver gets: Yoga's own (the request); the sync server adds nothing yet. */
export type SyncContext = YogaInitialContext;
