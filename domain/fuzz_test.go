package domain_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/authportal/authportal/domain"
)

// fuzzTypes is every registered type, in a fixed order, plus one unknown.
func fuzzTypes() []string {
	var types []string
	for _, r := range domain.Events().Registrations() {
		if !slices.Contains(types, r.Type) {
			types = append(types, r.Type)
		}
	}
	slices.Sort(types)
	return append(types, "test.unknown")
}

func FuzzDecode(f *testing.F) {
	types := fuzzTypes()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		typ, ver, _ := strings.Cut(strings.TrimSuffix(filepath.Base(file), ".json"), ".v")
		v, err := strconv.Atoi(ver)
		if err != nil {
			f.Fatalf("golden file %s: version %q: %v", file, ver, err)
		}
		f.Add(uint(slices.Index(types, typ)), v, data)
	}
	f.Add(uint(0), 1, []byte(`{}`))
	f.Add(uint(1), 2, []byte(`null`))
	f.Add(uint(3), 1, []byte(`{"userId":null,"epoch":1e3}`))
	f.Add(uint(8), 1, []byte(`{"recoveryCodes":[],"step":-1}`))

	reg := domain.Events()
	f.Fuzz(func(t *testing.T, typeIndex uint, version int, data []byte) {
		typ := types[typeIndex%uint(len(types))]
		e, err := reg.Decode(typ, version, data)
		if err != nil {
			return
		}
		if e == nil {
			t.Fatalf("decode %s v%d %q: got nil event and nil error", typ, version, data)
		}
		encoded, err := domain.Encode(e)
		if err != nil {
			t.Fatalf("encode decoded %s v%d %q: got error %v, want none", typ, version, data, err)
		}
		again, err := reg.Decode(e.EventType(), e.SchemaVersion(), encoded)
		if err != nil {
			t.Fatalf("decode re-encoded %s: %s: got error %v, want none", e.EventType(), encoded, err)
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("round trip of %q: got %#v, want %#v", data, again, e)
		}
		// The registry decodes with goccy/go-json; what it accepts must mean
		// the same to encoding/json, which wrote it. Older versions decode
		// into another struct and are upcast, so only the current one compares.
		if version != e.SchemaVersion() {
			return
		}
		std := reflect.New(reflect.TypeOf(e))
		if err := json.Unmarshal(data, std.Interface()); err != nil {
			t.Fatalf("goccy accepted %s %q, encoding/json refuses it: %v", typ, data, err)
		}
		if !reflect.DeepEqual(std.Elem().Interface(), e) {
			t.Fatalf("%s %q: goccy decoded %#v, encoding/json %#v", typ, data, e, std.Elem().Interface())
		}
	})
}
