package dissect

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Field is one named, decoded parameter of a command.
type Field struct {
	Name  string
	Value any
}

// NamedFields are the decoded parameters of a command whose layout is
// positional: an ordered list of named values with a plain-words meaning.
// They marshal to a JSON object whose keys keep the wire order.
type NamedFields struct {
	List    []Field
	Meaning string
}

// Describe implements Fields.
func (f *NamedFields) Describe() string { return f.Meaning }

// Get returns the value of the named field, or nil.
func (f *NamedFields) Get(name string) any {
	for _, x := range f.List {
		if x.Name == name {
			return x.Value
		}
	}
	return nil
}

// set replaces the value of the named field, if present.
func (f *NamedFields) set(name string, v any) {
	for i := range f.List {
		if f.List[i].Name == name {
			f.List[i].Value = v
		}
	}
}

// String returns the named field as a string ("" when absent).
func (f *NamedFields) String(name string) string {
	switch v := f.Get(name).(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	}
	return ""
}

// MarshalJSON writes the fields as one object, in order.
func (f *NamedFields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range f.List {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(x.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(x.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// param is how one positional parameter is read.
type param struct {
	name string
	kind paramKind
}

type paramKind uint8

const (
	pWord   paramKind = iota // kept as sent
	pInt                     // a decimal number (kept as text if it is not one)
	pText                    // URL-encoded text, decoded
	pHandle                  // a passport, with MSNP16+ ;{guid} and MSNP18 netID: split off
	pList                    // a list name: FL, AL, BL, RL, PL
)

func word(n string) param   { return param{n, pWord} }
func num(n string) param    { return param{n, pInt} }
func text(n string) param   { return param{n, pText} }
func handle(n string) param { return param{n, pHandle} }
func list(n string) param   { return param{n, pList} }

// layout decodes positional parameters into NamedFields; parameters beyond
// the layout are kept as "extra" with a note, missing trailing ones are
// simply absent (most layouts end in optional parameters).
func layout(m *Message, args []string, ps ...param) *NamedFields {
	f := &NamedFields{}
	for i, a := range args {
		if i >= len(ps) {
			f.List = append(f.List, Field{"extra", strings.Join(args[i:], " ")})
			m.Note("more parameters than this command's layout")
			break
		}
		p := ps[i]
		switch p.kind {
		case pInt:
			if v, err := strconv.Atoi(a); err == nil {
				f.List = append(f.List, Field{p.name, v})
			} else {
				f.List = append(f.List, Field{p.name, a})
				m.Note(p.name + " " + a + " is not a number")
			}
		case pText:
			f.List = append(f.List, Field{p.name, decodeText(m, a)})
		case pHandle:
			h := ParseHandle(a)
			f.List = append(f.List, Field{p.name, h.Passport})
			if h.NetworkID != 0 {
				f.List = append(f.List, Field{"network_id", h.NetworkID})
			}
			if h.MachineGUID != "" {
				f.List = append(f.List, Field{"machine_guid", h.MachineGUID})
			}
		case pList:
			f.List = append(f.List, Field{p.name, a})
			if listBit(a) == 0 {
				m.Note("unknown list " + a)
			}
		default:
			f.List = append(f.List, Field{p.name, a})
		}
	}
	m.Fields = f
	return f
}

// Handle is a contact address as MSNP writes it: "bob@x.com", MSNP18
// "1:bob@x.com", MSNP16+ "bob@x.com;{machine-guid}".
type Handle struct {
	Passport    string `json:"passport"`
	NetworkID   int    `json:"network_id,omitempty"`
	MachineGUID string `json:"machine_guid,omitempty"`
}

// ParseHandle splits the MSNP16+/18 decorations off a handle.
func ParseHandle(s string) Handle {
	var h Handle
	if i := strings.IndexByte(s, ':'); i > 0 && i <= 3 && isDigits(s[:i]) {
		h.NetworkID, _ = strconv.Atoi(s[:i])
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, ';'); i >= 0 {
		h.MachineGUID = strings.Trim(s[i+1:], "{}")
		s = s[:i]
	}
	h.Passport = s
	return h
}
