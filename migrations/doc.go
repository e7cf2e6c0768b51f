// Package migrations owns the database schema: numbered SQL files, embedded
// in the binary and applied in order at start under an advisory lock, so that
// several nodes starting at once apply each file exactly once.
//
// A file, once shipped, is never edited: a change to the schema is a new file.
package migrations
