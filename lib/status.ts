/**
 * The one status vocabulary of every operation's report.
 * @module
 */

/**
 * How an operation ended, in every report (`ingest` and each destination, `verify`,
 * `backup`, `restore`, `restoreTest`): `completed`; `completed-with-errors` (some items
 * failed, each is reported, the rest were done); `failed` (an integrity check failed, or
 * nothing could be done); `aborted` (stopped by the signal or a throwing callback — only
 * ever seen in the `partial` report of the error the promise rejects with).
 */
export type OperationStatus = 'completed' | 'completed-with-errors' | 'failed' | 'aborted'
