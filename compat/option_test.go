package compat

import (
	"math/bits"
	"testing"
)

// TestOptionDeclarations checks every registered extension's option
// declarations for what the engine takes for granted: IDs that fit its
// bit sets, names declared once, exclusions, dependencies and OneOf sets
// that name declared options, bounds that make sense for the type. A new
// extension that gets one wrong fails here rather than refusing or
// accepting rules oddly.
func TestOptionDeclarations(t *testing.T) {
	for _, m := range []map[string][]*Extension{matches, targets} {
		for _, exts := range m {
			for _, e := range exts {
				checkDeclarations(t, e)
			}
		}
	}
}

func checkDeclarations(t *testing.T, e *Extension) {
	t.Helper()
	var declared uint32
	names := map[string]bool{}
	for _, o := range e.Options {
		if o.ID < 0 || o.ID >= 32 {
			t.Errorf("%s --%s: ID %d outside 0-31", e, o.Name, o.ID)
			continue
		}
		declared |= o.bit()
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			if names[n] {
				t.Errorf("%s: --%s declared twice", e, n)
			}
			names[n] = true
		}
	}
	for _, o := range e.Options {
		if extra := (o.Excl | o.Also) &^ declared; extra != 0 {
			t.Errorf("%s --%s: Excl or Also names undeclared IDs %b", e, o.Name, extra)
		}
		if o.Also&o.bit() != 0 {
			t.Errorf("%s --%s: needs itself", e, o.Name)
		}
		if o.Flags&ExclAtOnce != 0 && o.Excl == 0 {
			t.Errorf("%s --%s: ExclAtOnce without Excl", e, o.Name)
		}
		switch o.Type {
		case TypeUint8, TypeUint16, TypeUint32, TypeUint64, TypeUint16Range, TypeUint32Range, TypeUint64Range:
			if o.Max > o.Type.maxOf() || (o.Max != 0 && o.Min > o.Max) {
				t.Errorf("%s --%s: bounds %d-%d do not fit its type", e, o.Name, o.Min, o.Max)
			}
		case TypeString:
			if (o.Max != 0 && o.Min > o.Max) || o.Flags&MinusWraps != 0 {
				t.Errorf("%s --%s: length bounds %d-%d or MinusWraps on a string", e, o.Name, o.Min, o.Max)
			}
		default:
			if o.Min != 0 || o.Max != 0 || o.Flags&MinusWraps != 0 {
				t.Errorf("%s --%s: bounds or MinusWraps on an option that is not a number", e, o.Name)
			}
		}
		if o.NameFile != "" && o.Type != TypeMarkMask {
			t.Errorf("%s --%s: NameFile on an option that is not TypeMarkMask", e, o.Name)
		}
	}
	if e.OneOf != nil {
		if extra := e.OneOf.IDs &^ declared; extra != 0 || e.OneOf.IDs == 0 {
			t.Errorf("%s: OneOf names undeclared IDs %b", e, extra)
		}
		if e.OneOf.Msg == "" || e.OneOf.Token == "" {
			t.Errorf("%s: OneOf without its words", e)
		}
	}
	if e.Parse == nil && len(e.Options) > 0 {
		t.Errorf("%s: options but no Parse", e)
	}
	if e.Save == nil {
		t.Errorf("%s: no Save", e)
	}
	if e.ProtoUserspace && e.Proto == 0 {
		t.Errorf("%s: ProtoUserspace without Proto", e)
	}
	if n := bits.OnesCount32(declared); n > len(e.Options) {
		t.Errorf("%s: %d IDs for %d options", e, n, len(e.Options))
	}
}
