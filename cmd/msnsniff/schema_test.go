package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemas compiles the JSON Schemas of docs/schema.
func schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "schema", "*.schema.json"))
	if len(files) != 7 {
		t.Fatalf("found %d schema files, want 7", len(files))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource("https://msnsniff.example/schema/"+filepath.Base(f), doc); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, name := range []string{"events", "contacts", "chats", "sessions", "stats", "check", "live"} {
		s, err := c.Compile("https://msnsniff.example/schema/" + name + ".schema.json")
		if err != nil {
			t.Fatalf("compiling %s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

func validate(t *testing.T, s *jsonschema.Schema, what, doc string) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("%s: not JSON: %v", what, err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s does not match its schema: %v", what, err)
	}
}

// TestOutputMatchesSchema validates every JSON output of every command, on
// the bundled captures and the real ones, against docs/schema, so the
// documentation and the code cannot drift apart.
func TestOutputMatchesSchema(t *testing.T) {
	sch := schemas(t)
	files, _ := filepath.Glob(filepath.Join(pcaps, "*"))
	if dirExists(filepath.Join(sharedDirNoSkip(), "pcaps")) {
		real, _ := filepath.Glob(filepath.Join(sharedDirNoSkip(), "pcaps", "*.pcap"))
		peer, _ := filepath.Glob(filepath.Join(sharedDirNoSkip(), "peer", "*.pcap"))
		files = append(append(files, real...), peer...)
	}
	// A damaged capture gives input_error records.
	raw, err := os.ReadFile(filepath.Join(pcaps, "msnp8-visit.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	os.WriteFile(cut, raw[:len(raw)/2], 0o644)
	files = append(files, cut)
	for _, f := range files {
		name := filepath.Base(f)
		ports := []string{"--port", "1863", "--port", "1864"}
		out, _, _ := cli(t, nil, append([]string{"read", "--format", "json"}, append(ports, f)...)...)
		for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if line != "" {
				validate(t, sch["events"], name+" read line "+strconv.Itoa(i+1), line)
			}
		}
		for _, c := range []string{"contacts", "chats", "sessions", "stats", "check"} {
			out, _, _ := cli(t, nil, append([]string{c, "--format", "json"}, append(ports, f)...)...)
			validate(t, sch[c], name+" "+c, out)
		}
	}
}

// TestSchemaIsStrict: an undocumented field or a wrong type fails, so a
// passing validation means something.
func TestSchemaIsStrict(t *testing.T) {
	sch := schemas(t)
	bad := []string{
		`{"type":"gap","conn":"c1","ts":"2005-06-01T12:00:00.000000Z","client":"a","server":"b","dir":"c2s","bytes":3,"offset":0,"bogus":1}`,
		`{"type":"message","conn":"c1","ts":"2005-06-01T12:00:00.000000Z","client":"a","server":"b","dir":"c2s","cmd":"VER","trid":"1","args":[],"offset":0}`,
		`{"type":"message","conn":"c1","ts":"2005-06-01 12:00:00","client":"a","server":"b","dir":"c2s","cmd":"VER","trid":1,"args":[],"offset":0}`,
		`{"type":"message","conn":"c1","ts":"2005-06-01T12:00:00.000000Z","client":"a","server":"b","dir":"s2c","cmd":"LST","trid":null,"args":[],"fields":{"passport":"x"},"offset":0}`,
	}
	for _, doc := range bad {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if sch["events"].Validate(v) == nil {
			t.Errorf("accepted: %s", doc)
		}
	}
	list := `{"conn":"c1","user":"","protocol":"","protocol_inferred":false,"source":"SYN","list_version":"1","expected_contacts":null,` +
		`"expected_groups":null,"complete":true,"cache_current":false,"gtc":"","blp":"","properties":{},"groups":[],"contacts":[]`
	for name, doc := range map[string]string{
		"contacts": "[" + list + `,"bogus":1}]`,
		"live":     `{"type":"contacts","ts":"2005-06-01T12:00:00.000000Z",` + list[1:] + `,"bogus":1}`,
	} {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if sch[name].Validate(v) == nil {
			t.Errorf("%s accepted an undocumented field", name)
		}
		good, _ := jsonschema.UnmarshalJSON(strings.NewReader(strings.Replace(doc, `,"bogus":1`, "", 1)))
		if err := sch[name].Validate(good); err != nil {
			t.Errorf("%s rejected a valid document: %v", name, err)
		}
	}
}

// validateLive checks every line of live --format json output against
// docs/schema/live.schema.json.
func validateLive(t *testing.T, out string) {
	t.Helper()
	sch := schemas(t)["live"]
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line != "" {
			validate(t, sch, "live line "+strconv.Itoa(i+1), line)
		}
	}
}
