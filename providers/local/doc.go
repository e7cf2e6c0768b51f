// Package local verifies local account passwords: argon2id hashes in the PHC
// string format, with a bound on how many hash at once so that a flood of
// logins cannot exhaust memory.
package local
