package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Runtime configuration lives in the log as one stream per section
// ("config-<section>"), each version a whole JSON document that a schema
// (the Go types in config_sections.go) checks on every write.
const (
	SectionProviders = "providers"
	SectionSecurity  = "security"
	SectionMFA       = "mfa"
	SectionSMTP      = "smtp"
	SectionBackups   = "backups"
)

// Sections lists every configuration section, in the order they are shown.
var Sections = []string{SectionProviders, SectionSecurity, SectionMFA, SectionSMTP, SectionBackups}

// KnownSection reports whether name is a configuration section.
func KnownSection(name string) bool { return slices.Contains(Sections, name) }

// ConfigStream is the stream of one section's versions.
func ConfigStream(section string) string { return "config-" + section }

// ConfigDocument is one section's document, decoded into its schema.
type ConfigDocument interface {
	// Validate reports every problem, each naming its field from the
	// section on ("smtp.port").
	Validate() []FieldProblem
	// Secrets returns the document's secret fields by path ("smtp.password"),
	// so that they are sealed before storing and masked before showing.
	Secrets() map[string]*Secret
}

// FieldProblem is one field of a document breaking one rule.
type FieldProblem struct {
	Field  string `json:"field"`  // "smtp.port"
	Reason string `json:"reason"` // "must be between 1 and 65535"
}

func (p FieldProblem) String() string { return p.Field + ": " + p.Reason }

// ConfigInvalidError is returned for a document that does not fit its
// section's schema; it lists every problem found.
type ConfigInvalidError struct {
	Problems []FieldProblem
}

func (e *ConfigInvalidError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "domain: invalid configuration: " + strings.Join(lines, "; ")
}

// ErrUnknownSection is returned for a section name that is not one of Sections.
var ErrUnknownSection = errors.New("domain: unknown configuration section")

// ErrConfigVersionNotFound is returned when a version asked for (to restore
// or compare) was never saved.
var ErrConfigVersionNotFound = errors.New("domain: configuration version not found")

// Secret is a secret inside a section (the SMTP password, an API key, a
// client secret). It has three faces: as stored in the log it is only
// Sealed (encrypted with DATA_KEY); as shown to an admin it is only Set
// ({"set": true}); in an edit it is a string (a new value, Plain), or
// {"set": true} to keep the stored one, or "" / null / {"set": false} for none.
type Secret struct {
	Sealed string `json:"sealed,omitempty"`
	Set    *bool  `json:"set,omitempty"`
	Plain  string `json:"-"`
}

// UnmarshalJSON reads a secret's string (a new value) or object form.
func (s *Secret) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = Secret{}
		return nil
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Secret{Plain: v}
		return nil
	}
	type object Secret // no methods: no recursion
	var o object
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return errors.New("must be a string, or {\"set\": true} to keep the stored one")
	}
	*s = Secret(o)
	return nil
}

// IsSet reports whether the stored form holds a secret.
func (s Secret) IsSet() bool { return s.Sealed != "" }

// Masked is the secret as an admin sees it: whether one is set, never what.
func (s Secret) Masked() Secret {
	set := s.IsSet()
	return Secret{Set: &set}
}

// keeps reports whether an edit asks to keep the stored secret.
func (s Secret) Keeps() bool { return s.Set != nil && *s.Set && s.Plain == "" && s.Sealed == "" }

// NewConfigDocument returns an empty document of a section's schema.
func NewConfigDocument(section string) (ConfigDocument, error) {
	switch section {
	case SectionProviders:
		return &ProvidersConfig{}, nil
	case SectionSecurity:
		return &SecurityConfig{}, nil
	case SectionMFA:
		return &MFAConfig{}, nil
	case SectionSMTP:
		return &SMTPConfig{}, nil
	case SectionBackups:
		return &BackupsConfig{}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownSection, section)
}

// DecodeConfig reads raw into section's schema. Fields the schema does not
// have and values of the wrong type are refused, each named. It does not
// Validate: an edit's secrets are resolved first.
func DecodeConfig(section string, raw []byte) (ConfigDocument, error) {
	doc, err := NewConfigDocument(section)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, &ConfigInvalidError{[]FieldProblem{{section, "must be a JSON object"}}}
	}
	if _, ok := generic.(map[string]any); !ok {
		return nil, &ConfigInvalidError{[]FieldProblem{{section, "must be a JSON object"}}}
	}
	if problems := unknownFields(generic, reflect.TypeOf(doc).Elem(), section); len(problems) > 0 {
		return nil, &ConfigInvalidError{problems[:min(len(problems), maxProblems)]}
	}
	if err := json.Unmarshal(raw, doc); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, &ConfigInvalidError{[]FieldProblem{{section + "." + typeErr.Field, "must be " + jsonKind(typeErr.Type)}}}
		}
		// A secret's own UnmarshalJSON failed; encoding/json does not say where.
		return nil, &ConfigInvalidError{[]FieldProblem{{section, err.Error()}}}
	}
	return doc, nil
}

// EncodeConfig is a document's stored (or shown) form.
func EncodeConfig(doc ConfigDocument) (json.RawMessage, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("domain: encode configuration: %w", err)
	}
	return b, nil
}

// ValidateConfig is doc.Validate as an error.
func ValidateConfig(doc ConfigDocument) error {
	if problems := doc.Validate(); len(problems) > 0 {
		return &ConfigInvalidError{problems[:min(len(problems), maxProblems)]}
	}
	return nil
}

var secretType = reflect.TypeFor[Secret]()

// unknownFields walks a decoded JSON value beside the Go type it is meant
// for and names every key the type has no field for.
func unknownFields(v any, t reflect.Type, path string) []FieldProblem {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == secretType {
		return secretShape(v, path)
	}
	var out []FieldProblem
	switch v := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return nil // the type error is reported by the decoder
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				out = append(out, FieldProblem{fieldPath(path, k), "is not a setting of this section"})
				if len(out) >= maxProblems {
					return out
				}
				continue
			}
			out = append(out, unknownFields(v[k], ft, path+"."+k)...)
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, e := range v {
				out = append(out, unknownFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return out
}

// maxProblems bounds the problems one document reports (and so what of a
// client's keys an answer repeats).
const maxProblems = 20

// fieldPath names key under path, cut short: an unknown key is the
// client's own text, and an answer repeats it.
func fieldPath(path, key string) string {
	if len(key) > 64 {
		key = key[:64] + "…"
	}
	return path + "." + key
}

// secretShape checks a secret's edit or stored form: a string, null, or an
// object of "set" (true or false) and "sealed" (a string).
func secretShape(v any, path string) []FieldProblem {
	bad := []FieldProblem{{path, "must be a string, or {\"set\": true} to keep the stored one"}}
	switch v := v.(type) {
	case nil, string:
		return nil
	case map[string]any:
		for k, e := range v {
			_, isBool := e.(bool)
			_, isString := e.(string)
			if (k != "set" || !isBool) && (k != "sealed" || !isString) {
				return bad
			}
		}
		return nil
	}
	return bad
}

// jsonKind says what JSON a Go type is written as.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Struct:
		if t == secretType {
			return "a string, or {\"set\": true} to keep the stored one"
		}
		return "an object"
	}
	return "of another type"
}

// MaskConfig is doc as an admin sees it: every secret only as whether it is
// set. It changes doc.
func MaskConfig(doc ConfigDocument) (json.RawMessage, error) {
	for _, s := range doc.Secrets() {
		*s = s.Masked()
	}
	return EncodeConfig(doc)
}

// DecodeStoredConfig reads a document as the log (or a backup) holds it:
// in its schema, valid, and with every secret sealed. Anything else is not
// a document AuthPortal wrote.
func DecodeStoredConfig(section string, raw []byte) (ConfigDocument, error) {
	doc, err := DecodeConfig(section, raw)
	if err != nil {
		return nil, err
	}
	for path, s := range doc.Secrets() {
		if s.Plain != "" || s.Set != nil {
			return nil, &ConfigInvalidError{[]FieldProblem{{path, "is not sealed"}}}
		}
	}
	if err := ValidateConfig(doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// ConfigVersions folds a section's stream into its versions, oldest first.
func ConfigVersions(events []Event) []ConfigSectionSaved {
	var out []ConfigSectionSaved
	for _, e := range events {
		if s, ok := e.(ConfigSectionSaved); ok {
			out = append(out, s)
		}
	}
	return out
}
