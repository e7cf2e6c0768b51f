// Package pgtest gives each test a fresh, migrated PostgreSQL database.
//
// A package using it runs its tests through [Main]:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and each test that needs the database calls [New], which clones a
// template database migrated once per test process and drops the clone
// when the test ends, so tests may call t.Parallel.
//
// The databases live on the server TEST_DATABASE_URL points at, when it is
// set, or else on one throwaway cluster per test process started from the
// machine's PostgreSQL binaries (see [pgserver]) in the temporary directory
// and stopped and removed by [Main] after the tests. When neither can be
// had, New fails the test with one line saying how to fix it; it never
// skips.
//
// The package is for tests only. It never touches a database it did not
// create: all of them are named pgtest_<pid>_<random>_..., and on a shared
// server a process only drops its own.
package pgtest
