package plextest

import (
	"net/http"
	"time"
)

// resources serves GET /api/v2/resources: a top-level array of the servers
// the token's account owns (owned=true, ownerId null) and those shared with
// it (owned=false, ownerId and sourceTitle of the owner); 401 with code 1001
// for an unknown token.
func (s *Server) resources(w http.ResponseWriter, r *http.Request) {
	a, ok := s.accountFor(r)
	if !ok {
		unauthenticated(w)
		return
	}
	s.mu.Lock()
	owners := map[int64]string{}
	for _, acct := range s.accounts {
		owners[acct.ID] = acct.Title
	}
	out := []map[string]any{}
	for _, m := range s.servers {
		owned := m.OwnerID == a.ID
		if !owned && !s.shares[m.MachineID][a.ID] {
			continue
		}
		var ownerID, sourceTitle any
		if !owned {
			ownerID, sourceTitle = m.OwnerID, owners[m.OwnerID]
		}
		out = append(out, device(m, owned, ownerID, sourceTitle))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// device is one PlexDevice entry for a media server.
func device(m MediaServer, owned bool, ownerID, sourceTitle any) map[string]any {
	seen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	return map[string]any{
		"name":                   m.Name,
		"product":                "Plex Media Server",
		"productVersion":         "1.41.0.0000",
		"platform":               "Linux",
		"platformVersion":        "6.1",
		"device":                 "PC",
		"clientIdentifier":       m.MachineID,
		"createdAt":              seen,
		"lastSeenAt":             seen,
		"provides":               "server",
		"ownerId":                ownerID,
		"sourceTitle":            sourceTitle,
		"publicAddress":          "203.0.113.10",
		"accessToken":            "server-token-" + m.MachineID,
		"owned":                  owned,
		"home":                   false,
		"synced":                 false,
		"relay":                  true,
		"presence":               true,
		"httpsRequired":          true,
		"publicAddressMatches":   false,
		"dnsRebindingProtection": false,
		"natLoopbackSupported":   false,
		"connections": []map[string]any{{
			"protocol": "https", "address": "203.0.113.10", "port": 32400,
			"uri": "https://203-0-113-10.example.plex.direct:32400", "local": false, "relay": false, "IPv6": false,
		}},
	}
}
