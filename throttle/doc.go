// Package throttle keeps token buckets in PostgreSQL, so that every node
// sharing the database spends from the same budgets: a client address's rate
// limit, an account's failure budget, a device's own budget.
//
// Each bucket is one row updated by one statement (GCRA: the row holds the
// time at which the bucket would be full again), so taking a token is
// atomic across nodes and needs no transaction of its own. Keys are HMAC
// digests under a server key: the table never holds a username, an address
// or a device id, and a flood of distinct keys leaves rows that expire by
// themselves (Sweep deletes them).
//
// throttle writes only its own table; it knows nothing of HTTP or of what a
// budget protects. A budget it cannot read is eventstore.ErrUnavailable: the
// callers answer 503 rather than let an attempt through unmetered.
package throttle
