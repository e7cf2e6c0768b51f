// Command fakes serves a fake Jellyfin and a fake plex.tv on loopback ports
// for the browser tests (e2e/run.sh starts it beside the portal). It seeds
// them with the accounts its flags name, prints where they are as
// NAME=value lines on standard output, and serves until SIGTERM or SIGINT.
// (Not its standard input's end: bash gives a background job /dev/null.)
//
// Output (one line each, then nothing more):
//
//	JELLYFIN_URL=http://127.0.0.1:…
//	JELLYFIN_API_KEY=…
//	PLEX_URL=http://127.0.0.1:…        (plex.tv API and its auth page)
//	PLEX_SERVER_MACHINE_ID=…
//
// The fake plex.tv's auth page (GET /auth) approves the PIN for the Plex
// friend at once and forwards the browser back, as a user signed in to
// app.plex.tv would.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/authportal/authportal/providers/mediabrowser/mbtest"
	"github.com/authportal/authportal/providers/plex/plextest"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("fakes: ")
	jfUser := flag.String("jellyfin-user", "jellyfan", "the Jellyfin user's name")
	jfPassword := flag.String("jellyfin-password", "", "the Jellyfin user's password (required)")
	jfLinkUser := flag.String("jellyfin-link-user", "linkfan", "a second Jellyfin user, with the same password, for linking to a local account")
	plexFriend := flag.String("plex-friend", "plexfriend", "the username of the Plex account the server is shared with")
	machineID := flag.String("plex-machine-id", "e2e-plex-server", "the Plex Media Server's machine identifier")
	flag.Parse()
	if *jfPassword == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}

	jf, stopJellyfin := mbtest.Start("jellyfin")
	defer stopJellyfin()
	jf.AddUser(mbtest.User{Name: *jfUser, Password: *jfPassword})
	jf.AddUser(mbtest.User{Name: *jfLinkUser, Password: *jfPassword})

	px, stopPlex := plextest.Start()
	defer stopPlex()
	const ownerID, friendID = 1, 1001
	px.AddAccount(plextest.Account{ID: ownerID, UUID: "e2e-owner-uuid", Username: "plexowner", Title: "plexowner",
		Email: "owner@example.com", Token: "e2e-owner-token"})
	px.AddAccount(plextest.Account{ID: friendID, UUID: "e2e-friend-uuid", Username: *plexFriend, Title: *plexFriend,
		Email: *plexFriend + "@example.com", Token: "e2e-friend-token"})
	px.AddServer(plextest.MediaServer{Name: "E2E Home", MachineID: *machineID, OwnerID: ownerID})
	px.Share(*machineID, friendID)
	px.SetAppUser("e2e-friend-token")

	fmt.Printf("JELLYFIN_URL=%s\nJELLYFIN_API_KEY=%s\nPLEX_URL=%s\nPLEX_SERVER_MACHINE_ID=%s\n",
		jf.URL, mbtest.APIKey, px.URL, *machineID)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
