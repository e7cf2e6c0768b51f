// Package pgserver owns a private PostgreSQL cluster kept in one directory,
// built from the machine's PostgreSQL binaries, for installs that set no
// DATABASE_URL.
//
// The cluster listens on a unix socket inside that directory and on nothing
// else (listen_addresses is empty), so the only way in is through the file
// system: the directory is 0700 and the socket 0700, both owned by the user
// the cluster runs as. That is why the cluster trusts every local connection
// without a password.
//
// [Open] attaches to a cluster already running in the directory (the server
// started it, and a CLI command wants the same database) or initialises and
// starts it; only the [Server] that started the cluster stops it.
//
// PostgreSQL refuses to run as root, so when the process is root the cluster
// runs as the "postgres" system user (or "nobody" when there is none) and the
// directory tree is handed to that user. Root can still connect, since it
// bypasses file permissions; any other user must be the user the cluster runs
// as, which in practice means running the CLI as the same user as the server.
//
// The package knows nothing of the schema or of what the databases hold, and
// it never listens on TCP.
package pgserver
