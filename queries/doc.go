// Package queries reads: the projection tables, the checkpoints (and waiting
// for one to pass a position, for read-your-writes), and the log itself for
// audit export and configuration history. It never writes.
package queries
