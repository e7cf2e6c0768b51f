#!/usr/bin/env bash
# Browser end-to-end test of AuthPortal's sign-in pages.
#
# Builds the server, runs it on a free loopback port with a fresh DATA_DIR
# (the embedded PostgreSQL, no DATABASE_URL), creates a user with the CLI,
# drives Debian's Chromium through the pages with Playwright (node --test),
# then stops the server and checks that its PostgreSQL went with it.
# Beside it runs e2e/fakes: a fake Jellyfin and a fake plex.tv on loopback
# ports, seeded with the accounts below; the server signs in with Jellyfin,
# Plex and local accounts against them.
# Installs Chromium (and the PostgreSQL server binaries) with apt-get when
# they are missing and this runs as root. Exit status: the tests'.
set -euo pipefail

e2e_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$e2e_dir/.." && pwd)
chromium=/usr/bin/chromium
e2e_user=e2e
e2e_password='correct horse battery'
jellyfin_user=jellyfan
jellyfin_password='jelly beans on toast'
jellyfin_link_user=linkfan
account_user=e2e-account
forward_user=e2e-forward
admin_user=e2e-admin # makes invites (invite.test.mjs) and drives the console (admin*.test.mjs)
plex_friend=plexfriend
oidc_user=e2e-oidc
fakes_timeout=20   # seconds for e2e/fakes to say where it listens
startup_timeout=60 # seconds for GET /startupz to answer 200
stop_timeout=30    # seconds for the server to exit after SIGTERM

say() { printf 'e2e: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
started=$SECONDS

# --- tools --------------------------------------------------------------

command -v go >/dev/null || die "go is not on PATH: install Go (see go.mod) first"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are not on PATH: install Node.js 20 or later with npm"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js $(node --version) is too old: playwright-core needs Node.js 20 or later"

have_postgres() {
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null && command -v postgres >/dev/null; then
		return 0
	fi
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]] && return 0
	done
	return 1
}

missing=() what=()
[[ -x $chromium ]] || { missing+=(chromium); what+=("$chromium"); }
have_postgres || { missing+=(postgresql); what+=("PostgreSQL's initdb, pg_ctl and postgres"); }
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		die "$(IFS=,; echo "${what[*]}" | sed 's/,/ and /') missing, and only root can install: run 'apt-get install -y ${missing[*]}' as root"
	fi
	say "installing ${missing[*]} with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" >/dev/null
	[[ -x $chromium ]] || die "apt-get install chromium did not give $chromium"
	have_postgres || die "apt-get install postgresql did not give initdb, pg_ctl and postgres"
fi

# --- node modules: npm ci when missing or not from the current lock file -

lock_stamp() { cat "$e2e_dir/package.json" "$e2e_dir/package-lock.json" | sha256sum | cut -d' ' -f1; }
stamp_file=$e2e_dir/node_modules/.e2e-lock-stamp
if [[ ! -d $e2e_dir/node_modules/playwright-core || ! -f $stamp_file || $(cat "$stamp_file") != "$(lock_stamp)" ]]; then
	say "npm ci"
	(cd "$e2e_dir" && npm ci --no-audit --no-fund --loglevel=error)
	lock_stamp >"$stamp_file"
fi

# --- server -------------------------------------------------------------

# Under /tmp, 0711: when root, the server runs the cluster as the postgres
# user, which must be able to reach DATA_DIR/postgres.
tmp=$(mktemp -d /tmp/authportal-e2e.XXXXXX)
chmod 0711 "$tmp"
tmp=$(cd "$tmp" && pwd -P) # canonical, as /proc/*/cwd shows it
data_dir=$tmp/data
mkdir -m 0711 "$data_dir"
server_log=$tmp/server.log
server_pid=
fakes_pid=

# postgres_pids lists the processes running inside DATA_DIR: every
# PostgreSQL process (postmaster and backends) has its data directory
# (DATA_DIR/postgres/...) as working directory. Reads /proc, so it needs no
# procps.
postgres_pids() {
	find /proc -mindepth 2 -maxdepth 2 -name cwd \( -lname "$data_dir" -o -lname "$data_dir/*" \) 2>/dev/null |
		cut -d/ -f3 || true
}

cleanup() {
	local status=$? ok=1 i pids
	trap - EXIT INT TERM
	if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		for ((i = 0; i < stop_timeout * 10; i++)); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$server_pid" 2>/dev/null; then
			say "FAIL: the server (pid $server_pid) did not exit within ${stop_timeout}s of SIGTERM; killing it"
			kill -KILL "$server_pid" 2>/dev/null || true
			ok=0
		fi
		local server_status=0
		wait "$server_pid" 2>/dev/null || server_status=$?
		if ((server_status != 0)); then
			say "FAIL: the server exited with status $server_status after SIGTERM"
			ok=0
		fi
	fi
	# The server stops its embedded PostgreSQL on shutdown: nothing may be
	# left running in the data directory (allow a moment for backends).
	for ((i = 0; i < 50; i++)); do
		pids=$(postgres_pids)
		[[ -z $pids ]] && break
		sleep 0.1
	done
	if [[ -n $pids ]]; then
		say "FAIL: PostgreSQL processes still running in $data_dir after the server stopped (killing them):"
		local p
		for p in $pids; do
			say "  $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | sed 's/ *$//')"
		done
		kill -KILL $pids 2>/dev/null || true
		ok=0
	fi
	if [[ -n $fakes_pid ]] && kill -0 "$fakes_pid" 2>/dev/null; then
		kill -TERM "$fakes_pid" 2>/dev/null || true
		wait "$fakes_pid" 2>/dev/null || true
	fi
	if [[ -s $tmp/fakes.log ]]; then
		mkdir -p "$e2e_dir/artifacts"
		cp "$tmp/fakes.log" "$e2e_dir/artifacts/fakes.log"
	fi
	if [[ -s $server_log ]]; then
		mkdir -p "$e2e_dir/artifacts"
		cp "$server_log" "$e2e_dir/artifacts/server.log"
		if ((status != 0 || ok == 0)); then
			say "server log (last 40 lines; all of it in e2e/artifacts/server.log):"
			tail -n 40 "$server_log" >&2
		fi
	fi
	rm -rf "$tmp"
	if ((status == 0 && ok == 0)); then
		status=1
	fi
	say "done in $((SECONDS - started))s, exit status $status"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "go build"
(cd "$repo" && go build -o "$tmp/authportal" . && go build -o "$tmp/fakes" ./e2e/fakes)

# --- fake Jellyfin and plex.tv -------------------------------------------

fakes_out=$tmp/fakes.out
"$tmp/fakes" -jellyfin-user "$jellyfin_user" -jellyfin-password "$jellyfin_password" -jellyfin-link-user "$jellyfin_link_user" \
	-plex-friend "$plex_friend" \
	>"$fakes_out" 2>"$tmp/fakes.log" </dev/null &
fakes_pid=$!
declare -A fake=()
deadline=$((SECONDS + fakes_timeout))
while ((${#fake[@]} < 4)); do
	kill -0 "$fakes_pid" 2>/dev/null || {
		cat "$tmp/fakes.log" >&2
		fakes_pid=
		die "e2e/fakes exited during start-up"
	}
	((SECONDS < deadline)) || die "e2e/fakes did not say where it listens within ${fakes_timeout}s"
	sleep 0.1
	fake=()
	while IFS='=' read -r name value; do
		[[ -n $name && -n $value ]] && fake[$name]=$value
	done <"$fakes_out"
done
for name in JELLYFIN_URL JELLYFIN_API_KEY PLEX_URL PLEX_SERVER_MACHINE_ID; do
	[[ -n ${fake[$name]:-} ]] || die "e2e/fakes did not print $name"
done
say "fake Jellyfin on ${fake[JELLYFIN_URL]}, fake plex.tv on ${fake[PLEX_URL]}"

port=$(node -e '
	const s = require("node:net").createServer();
	s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
base_url=http://127.0.0.1:$port

# A clean environment: nothing of the caller's configuration (DATABASE_URL,
# MFA_ENFORCE, …) leaks into the server under test.
server_env=(env -i "PATH=$PATH" "HOME=${HOME:-/root}" "DATA_DIR=$data_dir"
	MEDIA_SERVER=jellyfin LOGIN_PROVIDERS=jellyfin,plex,local
	"JELLYFIN_SERVER_URL=${fake[JELLYFIN_URL]}" "JELLYFIN_API_KEY=${fake[JELLYFIN_API_KEY]}"
	"PLEX_API_URL=${fake[PLEX_URL]}" "PLEX_APP_URL=${fake[PLEX_URL]}" "PLEX_SERVER_MACHINE_ID=${fake[PLEX_SERVER_MACHINE_ID]}")
say "starting the server on $base_url (DATA_DIR=$data_dir)"
"${server_env[@]}" "LISTEN_ADDR=127.0.0.1:$port" "APP_BASE_URL=$base_url" \
	"$tmp/authportal" serve >"$server_log" 2>&1 </dev/null &
server_pid=$!

http_status() {
	node -e '
		fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
			.then((r) => console.log(r.status), () => console.log(0));' "$1"
}
deadline=$((SECONDS + startup_timeout))
until [[ $(http_status "$base_url/startupz") == 200 ]]; do
	kill -0 "$server_pid" 2>/dev/null || {
		wait "$server_pid" || true
		server_pid=
		die "the server exited during start-up"
	}
	((SECONDS < deadline)) || die "GET /startupz did not answer 200 within ${startup_timeout}s"
	sleep 0.5
done
say "server started in $((SECONDS - deadline + startup_timeout))s"

for user in "$e2e_user" "$account_user" "$forward_user" "$oidc_user"; do
	say "creating user $user with the CLI"
	printf '%s\n' "$e2e_password" |
		"${server_env[@]}" "$tmp/authportal" user add --username "$user" --email "$user@example.com" --password-stdin >/dev/null
done
printf '%s\n' "$e2e_password" |
	"${server_env[@]}" "$tmp/authportal" user add --username "$admin_user" --email "$admin_user@example.com" --admin --password-stdin >/dev/null

say "registering an OpenID Connect client with the CLI"
# The app is a server the test runs on this free port (loopback: plain http is allowed there).
oidc_redirect=http://127.0.0.1:$(node -e '
	const s = require("node:net").createServer();
	s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')/callback
oidc_client=$("${server_env[@]}" "$tmp/authportal" client add --name "Photo Album" --redirect-uri "$oidc_redirect" |
	node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).client_id))')

say "node --test"
set +e
(cd "$repo" && E2E_BASE_URL=$base_url E2E_USERNAME=$e2e_user E2E_PASSWORD=$e2e_password \
	E2E_JELLYFIN_USERNAME=$jellyfin_user E2E_JELLYFIN_PASSWORD=$jellyfin_password E2E_PLEX_USERNAME=$plex_friend \
	E2E_ACCOUNT_USERNAME=$account_user E2E_JELLYFIN_LINK_USERNAME=$jellyfin_link_user E2E_ADMIN_USERNAME=$admin_user \
	E2E_FORWARD_USERNAME=$forward_user \
		E2E_OIDC_USERNAME=$oidc_user E2E_OIDC_CLIENT_ID=$oidc_client E2E_OIDC_REDIRECT=$oidc_redirect \
	E2E_PLEX_URL=${fake[PLEX_URL]} E2E_CHROMIUM=$chromium node --test e2e/)
test_status=$?
set -e
exit "$test_status"
