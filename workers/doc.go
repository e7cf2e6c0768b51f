// Package workers holds the long-running jobs that react to time or to the
// log and act on the outside world: each reads, acts with no database
// transaction open while it waits on the outside, then records the outcome
// through a command. Work that must run once across nodes takes an advisory
// lock for the length of a run, or claims its slot in the log (the backup
// schedule).
package workers
