// Package projections builds the read models: each projection owns its
// tables and a checkpoint, applies events in position order and moves the
// checkpoint in the same transaction, so a crash never applies an event twice
// or skips one. The Runner runs each projection on one node at a time
// (an advisory lock per name), catches up in batches, then follows the log
// live through watermill. Rebuild replays the log into fresh tables and swaps
// them in.
//
// It also holds Access, the in-memory model of who may do what that the hot
// path reads instead of the database.
//
// A projection never appends events and never decides anything.
package projections
