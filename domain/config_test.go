package domain_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/authportal/authportal/domain"
)

// validSections are one valid document per section.
var validSections = map[string]string{
	"providers": `{"mediaServer":"jellyfin","login":["jellyfin","local","github"],
		"jellyfin":{"serverUrl":"https://jf.example.com","apiKey":{"sealed":"v1.x"}},
		"github":{"clientId":"id","clientSecret":{"sealed":"v1.y"},"allowed":["ada@example.com","@example.org"]}}`,
	"security": `{"sessionTtl":"12h"}`,
	"mfa":      `{"enable":true,"enforce":true,"issuer":"AuthPortal"}`,
	"smtp":     `{"host":"mail.example.com","port":587,"username":"u","password":{"sealed":"v1.z"},"from":"Auth <a@example.com>","security":"starttls"}`,
	"backups":  `{"schedule":"daily","sections":["smtp","mfa"],"retention":7}`,
}

// mutate sets a path ("smtp.port") in a valid document to v.
func mutate(t *testing.T, section, path string, v any) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(validSections[section]), &doc); err != nil {
		t.Fatal(err)
	}
	keys := strings.Split(path, ".")[1:]
	m := doc
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigValidation(t *testing.T) {
	for section, raw := range validSections {
		doc, err := domain.DecodeStoredConfig(section, []byte(raw))
		if err != nil {
			t.Fatalf("valid %s: %v", section, err)
		}
		if _, err := domain.EncodeConfig(doc); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, section, path string
		value               any
		want                string // the one problem, field first
	}{
		{"port too high", "smtp", "smtp.port", 70000, "smtp.port: must be between 1 and 65535"},
		{"port not a number", "smtp", "smtp.port", "587", "smtp.port: must be a whole number"},
		{"unknown field", "smtp", "smtp.tls", true, "smtp.tls: is not a setting of this section"},
		{"unknown nested field", "providers", "providers.jellyfin.colour", "red", "providers.jellyfin.colour: is not a setting of this section"},
		{"from not an address", "smtp", "smtp.from", "nobody", "smtp.from: must be an address"},
		{"from with a line break", "smtp", "smtp.from", "a@example.com\r\nBcc: x@example.com", "smtp.from: must be an address"},
		{"host with a scheme", "smtp", "smtp.host", "smtp://mail", "smtp.host: must be a host name"},
		{"short session", "security", "security.sessionTtl", "1m", "security.sessionTtl: must be a duration between 5m and 720h"},
		{"enforce without enable", "mfa", "mfa.enable", false, "mfa.enforce: needs mfa.enable"},
		{"issuer with a colon", "mfa", "mfa.issuer", "Auth:Portal", "mfa.issuer: must not contain a colon"},
		{"unknown provider", "providers", "providers.login", []string{"jellyfin", "myspace"}, "providers.login[1]: must be one of"},
		{"media server not offered", "providers", "providers.login", []string{"local"}, "providers.login: must include the media server (jellyfin)"},
		{"jellyfin without its URL", "providers", "providers.jellyfin.serverUrl", "", "providers.jellyfin.serverUrl: is required with jellyfin sign-in"},
		{"a URL that is not one", "providers", "providers.jellyfin.serverUrl", "jf.example.com", "providers.jellyfin.serverUrl: must be an absolute http(s) URL"},
		{"github without its secret", "providers", "providers.github.clientSecret", map[string]any{}, "providers.github.clientSecret: is required with github sign-in"},
		{"a bad allow-list entry", "providers", "providers.github.allowed", []string{"Ada@Example.com"}, "providers.github.allowed[0]: must be a lower-case email address or @domain"},
		{"monthly backups", "backups", "backups.schedule", "monthly", "backups.schedule: must be off, hourly, daily or weekly"},
		{"backup of users", "backups", "backups.sections", []string{"users"}, "backups.sections[0]: must be one of"},
		{"secret not sealed in storage", "smtp", "smtp.password", "clear text", "smtp.password: is not sealed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := domain.DecodeStoredConfig(tc.section, mutate(t, tc.section, tc.path, tc.value))
			var invalid *domain.ConfigInvalidError
			if !errors.As(err, &invalid) {
				t.Fatalf("got %v, want a ConfigInvalidError", err)
			}
			if len(invalid.Problems) != 1 || !strings.HasPrefix(invalid.Problems[0].String(), tc.want) {
				t.Errorf("problems = %v, want one starting %q", invalid.Problems, tc.want)
			}
		})
	}
	if _, err := domain.DecodeConfig("colours", []byte(`{}`)); !errors.Is(err, domain.ErrUnknownSection) {
		t.Errorf("unknown section: got %v, want ErrUnknownSection", err)
	}
}

// A secret has three faces: a new value in an edit, sealed in storage, and
// only "set" when shown.
func TestConfigSecretFaces(t *testing.T) {
	for _, tc := range []struct {
		edit              string
		plain             string
		keeps, wantSealed bool
	}{
		{`"new value"`, "new value", false, false},
		{`{"set": true}`, "", true, false},
		{`{"set": false}`, "", false, false},
		{`null`, "", false, false},
		{`""`, "", false, false},
		{`{"sealed": "v1.abc"}`, "", false, true},
	} {
		var s domain.Secret
		if err := json.Unmarshal([]byte(tc.edit), &s); err != nil {
			t.Fatalf("%s: %v", tc.edit, err)
		}
		if s.Plain != tc.plain || s.Keeps() != tc.keeps || s.IsSet() != tc.wantSealed {
			t.Errorf("%s: got %+v, want plain %q keeps %v sealed %v", tc.edit, s, tc.plain, tc.keeps, tc.wantSealed)
		}
	}
	var s domain.Secret
	if err := json.Unmarshal([]byte(`{"set": true, "value": "x"}`), &s); err == nil {
		t.Error("a secret object with an unknown member was accepted")
	}
	doc, err := domain.DecodeStoredConfig("smtp", []byte(validSections["smtp"]))
	if err != nil {
		t.Fatal(err)
	}
	shown, err := domain.MaskConfig(doc)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(shown), "v1.z") || !strings.Contains(string(shown), `"password":{"set":true}`) {
		t.Errorf("masked = %s, want the password only as set", shown)
	}
}

func TestConfigDiff(t *testing.T) {
	from, err := domain.DecodeStoredConfig("smtp", []byte(validSections["smtp"]))
	if err != nil {
		t.Fatal(err)
	}
	to, err := domain.DecodeStoredConfig("smtp", mutate(t, "smtp", "smtp.password", map[string]any{"sealed": "v1.other"}))
	if err != nil {
		t.Fatal(err)
	}
	to.(*domain.SMTPConfig).Port = 465
	changes, err := domain.DiffConfig("smtp", from, to)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(changes)
	want := `[{"path":"smtp.password","old":{"set":true},"new":{"set":true},"secret":true},{"path":"smtp.port","old":587,"new":465}]`
	if string(got) != want {
		t.Errorf("diff =\n%s\nwant\n%s", got, want)
	}
	if same, _ := domain.DiffConfig("smtp", from, from); len(same) != 0 {
		t.Errorf("diff of a version with itself = %v, want none", same)
	}
}

// A malformed secret is named by its field, and an unknown key is repeated
// only cut short.
func TestConfigProblemsNameTheirField(t *testing.T) {
	for _, tc := range []struct {
		raw, want string
	}{
		{`{"host":"","port":25,"security":"none","password":{"value":"x"}}`, "smtp.password: must be a string"},
		{`{"host":"","port":25,"security":"none","password":42}`, "smtp.password: must be a string"},
		{`{"host":"","port":25,"security":"none","` + strings.Repeat("k", 5000) + `":1}`, "smtp." + strings.Repeat("k", 64) + "…: is not a setting"},
	} {
		_, err := domain.DecodeConfig("smtp", []byte(tc.raw))
		var invalid *domain.ConfigInvalidError
		if !errors.As(err, &invalid) || len(invalid.Problems) != 1 || !strings.HasPrefix(invalid.Problems[0].String(), tc.want) {
			t.Errorf("%.80s: got %v, want one problem starting %q", tc.raw, err, tc.want)
		}
	}
}
