// Package projections builds the read models: each projection owns its
// tables and a checkpoint, applies events in position order and moves the
// checkpoint in the same transaction, so a crash never applies an event twice
// or skips one. The Runner runs each projection on one node at a time
// (an advisory lock per name), catches up in batches, then follows the log
// live through watermill. Rebuild replays the log into fresh tables and swaps
// them in.
//
// It also holds the in-memory models every node keeps by following the log
// on its own: Access, of who may do what, which the hot path reads instead
// of the database, and Config, the current configuration sections.
//
// A projection never appends events and never decides anything.
package projections
