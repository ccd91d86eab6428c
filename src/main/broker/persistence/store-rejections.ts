// Kept apart from lmdb-persistence.ts so the command line can ask it without loading lmdb.

/**
 * lmdb (3.5.x) rejects, for a failed commit, an internal promise nobody can reach besides the one it
 * returns ("Commit failed (see commitError for details)", from write.js rejectCommit). The store
 * handles the failure it can see (LmdbPersistence.commit); the process-level handlers ask this so
 * the stray copy does not count as an unhandled rejection, which would otherwise stop the broker.
 */
export function isHandledStoreRejection(reason: unknown): boolean {
  return (
    storeFailuresSeen > 0 &&
    reason instanceof Error &&
    reason.message === 'Commit failed (see commitError for details)' &&
    (reason.stack ?? '').includes('lmdb')
  )
}
let storeFailuresSeen = 0

/** The store saw a failed commit (so stray lmdb rejections may follow). */
export function noteStoreFailure(): void {
  storeFailuresSeen++
}
