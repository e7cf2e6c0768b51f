// Package eventstore owns the log: the one Postgres table every change is
// appended to and every read model is built from.
//
// Appends are serialised by a transaction-scoped advisory lock, so global
// positions are gapless and in commit order: a reader that has seen position
// N has seen everything before it. Each row carries a SHA-256 hash chained to
// the row before, so that a changed, removed or reordered event is found by
// Verify. After commit a NOTIFY with the new head wakes every node's readers.
//
// The package also offers the log as a watermill message.Subscriber, so that
// projections, workers and in-memory models are ordinary watermill handlers.
// It never decides anything and never updates or deletes an event.
package eventstore
