package domain

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// ConfigChange is one setting that differs between two versions of a
// section. A secret's values are never given: Old and New say only whether
// one was set, and a changed secret (a new value entered, even the same
// one) is listed with Secret true.
type ConfigChange struct {
	Path   string `json:"path"` // "smtp.port"
	Old    any    `json:"old"`
	New    any    `json:"new"`
	Secret bool   `json:"secret,omitempty"`
}

// DiffConfig lists the settings that differ from one version of section to
// another, in path order. Lists are compared whole.
func DiffConfig(section string, from, to ConfigDocument) ([]ConfigChange, error) {
	secrets := map[string]bool{}
	for path := range from.Secrets() {
		secrets[path] = true
	}
	a, err := genericJSON(from)
	if err != nil {
		return nil, err
	}
	b, err := genericJSON(to)
	if err != nil {
		return nil, err
	}
	var out []ConfigChange
	diffValue(section, a, b, secrets, &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func genericJSON(doc ConfigDocument) (any, error) {
	raw, err := EncodeConfig(doc)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("domain: diff: %w", err)
	}
	return v, nil
}

func diffValue(path string, a, b any, secrets map[string]bool, out *[]ConfigChange) {
	if secrets[path] {
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, ConfigChange{Path: path, Old: maskedJSON(a), New: maskedJSON(b), Secret: true})
		}
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			diffValue(path+"."+k, am[k], bm[k], secrets, out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, ConfigChange{Path: path, Old: a, New: b})
	}
}

// maskedJSON is a stored secret's JSON as an admin may see it.
func maskedJSON(v any) any {
	m, _ := v.(map[string]any)
	sealed, _ := m["sealed"].(string)
	return map[string]any{"set": sealed != ""}
}
