/**
 * The CLI's documented exit codes (README, "Exit codes").
 * @module
 */
export const EXIT = {
  /** Everything completed. */
  OK: 0,
  /** A verification or integrity check failed. */
  INTEGRITY: 1,
  /** The command line was wrong. */
  USAGE: 2,
  /** Completed, but some items failed (each one is reported). */
  COMPLETED_WITH_ERRORS: 3,
  /** A backup stopped at the end of its time window (`--until`); running it again goes on. */
  WINDOW_ENDED: 4,
  /** Aborted by Ctrl-C / SIGINT. */
  ABORTED: 130,
} as const
