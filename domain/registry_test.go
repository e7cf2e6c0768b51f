package domain_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authportal/authportal/domain"
)

var update = flag.Bool("update", false, "rewrite the golden files of current event versions in testdata/events")

const goldenDir = "testdata/events"

// goldenName is the file holding the shipped encoding of (typ, version).
func goldenName(typ string, version int) string {
	return fmt.Sprintf("%s.v%d.json", typ, version)
}

// samples holds one realistic value of every event at its current version;
// -update writes their encodings. Golden files of older versions are never
// rewritten: they are what old rows in the log look like.
func samples() []domain.Event {
	expires := time.Date(2025, 3, 14, 21, 26, 53, 0, time.UTC)
	return []domain.Event{
		domain.UsernameClaimed{Username: "ada.lovelace", UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA"},
		domain.UserRegistered{
			UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Username: "ada.lovelace", Email: "ada@example.com", Provider: "local",
			PasswordHash:  "v1.bm9uY2Utbm9uY2Utc2VhbGVkLWFyZ29uMmlkLWhhc2gtYnl0ZXM",
			AccessGranted: true,
		},
		domain.AdminGranted{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Reason: "bootstrap"},
		domain.AdminRevoked{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Reason: "console"},
		domain.SessionsRevoked{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Epoch: 3, Reason: "admin_changed"},
		domain.LoginSucceeded{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Provider: "plex", SessionID: "01JPDQ7F2B8N6Y0W3Q9V5S4J2MCE"},
		domain.LoginFailed{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Username: "ada.lovelace", Provider: "local", Reason: "bad_password"},
		domain.TOTPEnrollmentStarted{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Secret: "v1.nonce-3q2+7w==.c2VhbGVkLXRvdHAtc2VjcmV0LWJ5dGVz"},
		domain.TOTPEnabled{
			UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA",
			RecoveryCodes: []string{
				"sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
				"sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",
				"sha256:d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35",
			},
			Step: 58052871,
		},
		domain.TOTPUsed{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Step: 58052874, SessionID: "01JPDQ7F2B8N6Y0W3Q9V5S4J2MCE"},
		domain.RecoveryCodeUsed{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Index: 2, SessionID: "01JPDQ7F2B8N6Y0W3Q9V5S4J2MCE"},
		domain.RecoveryCodesRenewed{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", RecoveryCodes: []string{
			"sha256:4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce",
			"sha256:4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a",
		}},
		domain.MFAChallengeFailed{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", SessionID: "01JPDQ7F2B8N6Y0W3Q9V5S4J2MCE", Reason: "reused"},
		domain.IdentityClaimed{Provider: "plex", Subject: "1234567", UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA"},
		domain.IdentityLinked{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Provider: "plex", Subject: "1234567", Username: "ada_plex",
			Email: "ada@example.com", Token: "v1.c2VhbGVkLXBsZXgtdG9rZW4tYnl0ZXMtYW5kLW5vbmNl"},
		domain.IdentityReleased{Provider: "plex", Subject: "1234567", UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA"},
		domain.IdentityUnlinked{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Provider: "plex", Subject: "1234567"},
		domain.IdentityTokenRefreshed{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Provider: "plex", Token: "v1.bmV3LXNlYWxlZC1wbGV4LXRva2Vu"},
		domain.MediaAccessGranted{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Provider: "plex", Reason: "server_visible"},
		domain.MediaAccessRevoked{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Provider: "plex", Reason: "not_shared"},
		domain.SessionStarted{
			SessionID: "01JPDQ9A4D6F8H0K2M4P6R8T0VXZ", UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Kind: domain.SessionFull,
			Authorized: true, Provider: "local", Epoch: 3, MFA: true, ExpiresAt: expires,
			Replaces: "01JPDQ7F2B8N6Y0W3Q9V5S4J2MCE", AuthTime: expires.Add(-24 * time.Hour),
		},
		domain.SessionEnded{SessionID: "01JPDQ9A4D6F8H0K2M4P6R8T0VXZ", UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Reason: "logout", ExpiresAt: expires},
		domain.PasswordChanged{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", PasswordHash: "v1.c2VhbGVkLWFyZ29uMmlkLXBoYy1zdHJpbmctYnl0ZXM", Reason: "cli"},
		domain.TOTPReset{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Reason: "cli"},
		domain.HostAdded{HostID: "01JPDR2K5M7P9R1T3V5X7Z9B1D", Host: "jellyseerr.example.com", Name: "Jellyseerr", ForwardAuth: true},
		domain.HostUpdated{HostID: "01JPDR2K5M7P9R1T3V5X7Z9B1D", Host: "*.apps.example.com", Name: "Apps", ForwardAuth: false},
		domain.HostRemoved{HostID: "01JPDR2K5M7P9R1T3V5X7Z9B1D", Host: "*.apps.example.com"},
		domain.HostNameClaimed{Host: "jellyseerr.example.com", HostID: "01JPDR2K5M7P9R1T3V5X7Z9B1D"},
		domain.HostNameReleased{Host: "jellyseerr.example.com", HostID: "01JPDR2K5M7P9R1T3V5X7Z9B1D"},
		domain.UserPermissionsSet{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Mode: domain.DenyAll, Hosts: []string{"01JPDR2K5M7P9R1T3V5X7Z9B1D"}},
		domain.UserDisabled{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Reason: "console"},
		domain.UserEnabled{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", Reason: "cli"},
		domain.ConfigSectionSaved{Section: "smtp", Version: 3,
			Document: []byte(`{"host":"mail.example.com","port":587,"username":"auth","password":{"sealed":"v1.c2VhbGVkLXNtdHAtcGFzc3dvcmQ"},"from":"auth@example.com","security":"starttls"}`),
			Reason:   "new relay", RestoredFrom: 1, Backup: "authportal-20261123T120000Z-k3h1nwa.apbk"},
		domain.BackupCreated{Name: "authportal-20261123T120000Z-k3h1nwa.apbk", Sections: []string{"providers", "smtp"}, Slot: "daily-2026-11-23",
			Size: 2048, SHA256: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"},
		domain.BackupDeleted{Name: "authportal-20261123T120000Z-k3h1nwa.apbk", Reason: "retention"},
		domain.BackupRestored{Name: "authportal-20261123T120000Z-k3h1nwa.apbk", Versions: map[string]int64{"providers": 4, "smtp": 7}, Reason: "undo"},
		domain.BackupSlotClaimed{Slot: "daily-2026-11-23", Name: "authportal-20261123T120000Z-k3h1nwa.apbk"},
		domain.InviteCreated{InviteID: "K7Q2M4X9W3T8R5N6B1C0D2F4GH", Email: "friend@example.com", Role: "user",
			PermissionMode: "deny_all", PermittedHosts: []string{"01JPHOST0000000000000000AB"}, ExpiresAt: expires, MaxUses: 1,
			TokenDigest: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			SealedToken: "v1.c2VhbGVkLWludml0ZS10b2tlbi1ieXRlcw"},
		domain.InviteEmailSending{InviteID: "K7Q2M4X9W3T8R5N6B1C0D2F4GH", Attempt: 2, MessageID: "invite-K7Q2M4X9W3T8R5N6B1C0D2F4GH-2@auth.example.com"},
		domain.InviteEmailSent{InviteID: "K7Q2M4X9W3T8R5N6B1C0D2F4GH", Attempt: 2, MessageID: "invite-K7Q2M4X9W3T8R5N6B1C0D2F4GH-2@auth.example.com"},
		domain.InviteEmailFailed{InviteID: "K7Q2M4X9W3T8R5N6B1C0D2F4GH", Attempt: 1, Reason: "dial tcp 192.0.2.1:587: connection refused", Final: false, RetryAt: expires},
		domain.InviteResendRequested{InviteID: "K7Q2M4X9W3T8R5N6B1C0D2F4GH"},
		domain.InviteRevoked{InviteID: "K7Q2M4X9W3T8R5N6B1C0D2F4GH"},
		domain.InviteAccepted{InviteID: "K7Q2M4X9W3T8R5N6B1C0D2F4GH", UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", DisplayName: "Ada Lovelace", Uses: 1},
		// OpenID Connect provider
		domain.ClientRegistered{ClientID: "GRAFANA7Q2M4X6T8R5K3H1NWA", Name: "Grafana",
			RedirectURIs: []string{"https://grafana.example.com/login/generic_oauth"}, PostLogoutRedirectURIs: []string{"https://grafana.example.com/"},
			FirstParty: true, Scopes: []string{"openid", "profile", "email", "groups"}, SecretHash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		domain.ClientUpdated{ClientID: "GRAFANA7Q2M4X6T8R5K3H1NWA", Name: "Grafana (ops)",
			RedirectURIs: []string{"https://grafana.example.com/login/generic_oauth"}, PostLogoutRedirectURIs: []string{},
			Scopes: []string{"openid", "profile"}},
		domain.ClientSecretRotated{ClientID: "GRAFANA7Q2M4X6T8R5K3H1NWA", SecretHash: "$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z3ZlB3/3p1p9Q6bYHh3Y0GxW"},
		domain.ClientDeleted{ClientID: "GRAFANA7Q2M4X6T8R5K3H1NWA"},
		domain.ConsentGranted{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", ClientID: "GRAFANA7Q2M4X6T8R5K3H1NWA", Scopes: []string{"openid", "email"}},
		domain.ConsentRevoked{UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA", ClientID: "GRAFANA7Q2M4X6T8R5K3H1NWA"},
		domain.SigningKeyGenerated{KeyID: "k-2025-03-14-a1b2c3", PrivateKey: "v1.c2VhbGVkLXBrY3M4LXJzYS1rZXk", ActivatesAt: expires},
		domain.CodeIssued{GrantID: "GRANT4D6F8H0K2M4P6R8T0VXZA", ClientID: "GRAFANA7Q2M4X6T8R5K3H1NWA", UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA",
			SessionID: "01JPDQ9A4D6F8H0K2M4P6R8T0VXZ", Epoch: 3, CodeDigest: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
			CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", RedirectURI: "https://grafana.example.com/login/generic_oauth",
			Scopes: []string{"openid", "offline_access"}, Nonce: "n-0S6_WzA2Mj", AuthTime: expires.Add(-time.Hour), AMR: []string{"pwd", "otp", "mfa"},
			ExpiresAt: expires.Add(-59 * time.Minute)},
		domain.CodeRedeemed{GrantID: "GRANT4D6F8H0K2M4P6R8T0VXZA", ClientID: "GRAFANA7Q2M4X6T8R5K3H1NWA", UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA",
			SessionID: "01JPDQ9A4D6F8H0K2M4P6R8T0VXZ", Epoch: 3, Scopes: []string{"openid", "offline_access"},
			AccessDigest: "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b", AccessExpiresAt: expires,
			RefreshDigest: "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35", RefreshExpiresAt: expires.Add(24 * time.Hour)},
		domain.RefreshRotated{GrantID: "GRANT4D6F8H0K2M4P6R8T0VXZA", ClientID: "GRAFANA7Q2M4X6T8R5K3H1NWA", UserID: "01JPDQ6V7C9M2X4T8R5K3H1NWA",
			SessionID: "01JPDQ9A4D6F8H0K2M4P6R8T0VXZ", Epoch: 3, Scopes: []string{"openid", "offline_access"},
			AccessDigest: "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce", AccessExpiresAt: expires.Add(time.Hour),
			RefreshDigest: "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a", RefreshExpiresAt: expires.Add(25 * time.Hour)},
		domain.GrantRevoked{GrantID: "GRANT4D6F8H0K2M4P6R8T0VXZA", Reason: "refresh_reused"},
	}
}

func TestGoldenFilesMatchRegistry(t *testing.T) {
	reg := domain.Events()
	if *update {
		writeGolden(t)
	}

	registered := map[string]bool{}
	for _, r := range reg.Registrations() {
		name := goldenName(r.Type, r.Version)
		registered[name] = true
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(goldenDir, name))
			if err != nil {
				t.Fatalf("registration %s v%d has no golden file: %v (run go test ./domain -run TestGoldenFilesMatchRegistry -update)", r.Type, r.Version, err)
			}
			e, err := reg.Decode(r.Type, r.Version, want)
			if err != nil {
				t.Fatalf("decode golden file: got error %v, want none", err)
			}
			if e.EventType() != r.Type {
				t.Errorf("decoded event type: got %q, want %q", e.EventType(), r.Type)
			}
			got, err := domain.Encode(e)
			if err != nil {
				t.Fatalf("encode: got error %v, want none", err)
			}
			if e.SchemaVersion() == r.Version {
				if !bytes.Equal(got, want) {
					t.Errorf("re-encoded event differs from the shipped encoding:\ngot  %q\nwant %q", got, want)
				}
				return
			}
			// An older version is upcast: its re-encoding is the current
			// shape, which must decode at the current version to the same event.
			if e.SchemaVersion() < r.Version {
				t.Fatalf("upcast of v%d: got schema version %d, want a later one", r.Version, e.SchemaVersion())
			}
			again, err := reg.Decode(e.EventType(), e.SchemaVersion(), got)
			if err != nil {
				t.Fatalf("decode upcast event at v%d: got error %v, want none", e.SchemaVersion(), err)
			}
			if !reflect.DeepEqual(again, e) {
				t.Errorf("upcast event after a round trip: got %#v, want %#v", again, e)
			}
		})
	}

	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name := filepath.Base(f); !registered[name] {
			t.Errorf("golden file %s has no registration in domain/registry.go", name)
		}
	}
}

// TestSamplesCoverCurrentVersions keeps -update able to write every file:
// each event's current version needs a sample, and each sample a registration.
func TestSamplesCoverCurrentVersions(t *testing.T) {
	reg := domain.Events()
	sampled := map[string]bool{}
	for _, e := range samples() {
		sampled[e.EventType()] = true
		data, err := domain.Encode(e)
		if err != nil {
			t.Fatalf("encode sample %s: %v", e.EventType(), err)
		}
		got, err := reg.Decode(e.EventType(), e.SchemaVersion(), data)
		if err != nil {
			t.Fatalf("decode sample %s v%d: got error %v, want none", e.EventType(), e.SchemaVersion(), err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("sample %s after a round trip: got %#v, want %#v", e.EventType(), got, e)
		}
	}
	for _, r := range reg.Registrations() {
		if !sampled[r.Type] {
			t.Errorf("event type %s has no sample in registry_test.go", r.Type)
		}
	}
}

func writeGolden(t *testing.T) {
	t.Helper()
	if err := os.MkdirAll(goldenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range samples() {
		data, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(goldenDir, goldenName(e.EventType(), e.SchemaVersion())), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// thingV1 is the first shape of a test event: a name and a small count.
type thingV1 struct {
	Name  string `json:"name"`
	Count int32  `json:"count"`
}

// ThingV2 is the current shape: the name was split and the count widened.
type ThingV2 struct {
	DisplayName string   `json:"displayName"`
	Handle      string   `json:"handle"`
	Count       int64    `json:"count"`
	Tags        []string `json:"tags"`
}

func (ThingV2) EventType() string  { return "test.thing" }
func (ThingV2) SchemaVersion() int { return 2 }

func testRegistry(t *testing.T) *domain.Registry {
	t.Helper()
	reg, err := domain.NewRegistry(
		domain.Registration{Type: "test.thing", Version: 1, Decode: domain.Upcast(func(old thingV1) domain.Event {
			return ThingV2{DisplayName: old.Name, Handle: strings.ToLower(old.Name), Count: int64(old.Count), Tags: []string{"migrated"}}
		})},
		domain.Registration{Type: "test.thing", Version: 2, Decode: domain.Current[ThingV2]},
	)
	if err != nil {
		t.Fatalf("NewRegistry: got error %v, want none", err)
	}
	return reg
}

func TestRegistryDecode(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		name    string
		typ     string
		version int
		data    string
		want    domain.Event
		wantErr error // the error must match this sentinel
		anyErr  bool  // some decode error, not ErrUnknownEvent
	}{
		{
			name: "v1 is upcast to v2", typ: "test.thing", version: 1,
			data: `{"name":"Grace","count":7}`,
			want: ThingV2{DisplayName: "Grace", Handle: "grace", Count: 7, Tags: []string{"migrated"}},
		},
		{
			name: "v2 decodes as stored", typ: "test.thing", version: 2,
			data: `{"displayName":"Grace","handle":"gh","count":9000000000,"tags":["a","b"]}`,
			want: ThingV2{DisplayName: "Grace", Handle: "gh", Count: 9000000000, Tags: []string{"a", "b"}},
		},

		{name: "unknown version", typ: "test.thing", version: 3, data: `{}`, wantErr: domain.ErrUnknownEvent},
		{name: "unknown type", typ: "test.other", version: 1, data: `{}`, wantErr: domain.ErrUnknownEvent},
		{name: "version zero", typ: "test.thing", version: 0, data: `{}`, wantErr: domain.ErrUnknownEvent},

		{name: "unknown field in v1 data", typ: "test.thing", version: 1, data: `{"name":"Grace","count":7,"extra":true}`, anyErr: true},
		{name: "v2 field in v1 data", typ: "test.thing", version: 1, data: `{"name":"Grace","handle":"g"}`, anyErr: true},
		{name: "unknown field in v2 data", typ: "test.thing", version: 2, data: `{"displayName":"Grace","name":"Grace"}`, anyErr: true},
		{name: "trailing document", typ: "test.thing", version: 2, data: `{"handle":"g"} {"handle":"h"}`, anyErr: true},
		{name: "wrong field type", typ: "test.thing", version: 1, data: `{"count":"seven"}`, anyErr: true},
		{name: "v1 count overflows its old width", typ: "test.thing", version: 1, data: `{"count":9000000000}`, anyErr: true},
		{name: "not json", typ: "test.thing", version: 2, data: `displayName=Grace`, anyErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reg.Decode(tt.typ, tt.version, []byte(tt.data))
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error: got %v, want %v", err, tt.wantErr)
				}
			case tt.anyErr:
				if err == nil {
					t.Fatalf("got event %#v, want an error", got)
				}
				if errors.Is(err, domain.ErrUnknownEvent) {
					t.Fatalf("error: got %v, want a decode error, not ErrUnknownEvent", err)
				}
			default:
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %#v, want %#v", got, tt.want)
				}
			}
		})
	}
}

func TestNewRegistryRefusesDuplicates(t *testing.T) {
	dec := domain.Current[ThingV2]
	_, err := domain.NewRegistry(
		domain.Registration{Type: "test.thing", Version: 2, Decode: dec},
		domain.Registration{Type: "test.thing", Version: 2, Decode: dec},
	)
	if err == nil {
		t.Fatal("got no error for a duplicate registration, want one")
	}
}

func TestRegistrationsListsEveryRow(t *testing.T) {
	reg := testRegistry(t)
	var got []string
	for _, r := range reg.Registrations() {
		got = append(got, fmt.Sprintf("%s v%d", r.Type, r.Version))
	}
	slices.Sort(got)
	want := []string{"test.thing v1", "test.thing v2"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
