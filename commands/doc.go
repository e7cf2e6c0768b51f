// Package commands holds one handler per use case that changes state. A
// handler loads the streams it decides from, asks the domain to decide, and
// appends the resulting events with the versions it loaded, retrying on a
// version conflict (retry.go). It returns the global position of its last
// event, so that callers can wait for read models to reach it.
//
// Handlers never read projection tables to decide. The backup use cases
// also own the backup file format and folder (backup_file.go,
// backup_dir.go): a backup is written, read and restored only through them.
// Handlers never read projection tables to decide. The OpenID Connect
// provider's KeyRing and Clients live here too, though they mostly read:
// they fold the streams the grant commands decide from (signing keys,
// clients) and open what DATA_KEY sealed, which only this package holds.
package commands
