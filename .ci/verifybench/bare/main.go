// Command bare is .ci/verify-bench's yardstick: a plain net/http server
// that answers every request 200 with the headers AuthPortal's verify sends
// for an allowed user, and does nothing else.
//
//	bare 127.0.0.1:9000
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	log.Fatal(http.ListenAndServe(os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Remote-User", "bench")
		h.Set("Remote-Name", "bench")
		h.Set("Remote-Email", "bench@bench.test")
		h.Set("Remote-Groups", "users")
		h.Set("X-Forwarded-User", "bench")
		h.Set("X-Forwarded-Email", "bench@bench.test")
		h.Set("X-Forwarded-Groups", "users")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	})))
}
