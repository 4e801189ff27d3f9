package nft

import (
	"errors"
	"testing"
)

// TestExthdrSyntax checks which extension header and TCP option rules
// compile, and that bad ones fail with a position, as nft's do.
func TestExthdrSyntax(t *testing.T) {
	for _, tc := range []struct {
		rule string
		ok   bool
	}{
		{"frag more-fragments 1", true},
		{"frag nexthdr { comp, icmpv6 }", true},
		{"srh sid[1] dead::beef", true},
		{"exthdr hbh missing", true},
		{"mh type home-agent-switch-message", true},
		{"tcp option sack2 right 1", true},
		{"tcp option @255,8,8 255", true},
		{"tcp option maxseg size set 1360", true},
		{"reset tcp option 123", true},
		{"tcp option foobar", false},
		{"tcp option eol left 1", false},
		{"tcp option 256 exists", false},
		{"tcp option @255,8,8 256", false},
		{"reset tcp option meh", false},
		{"exthdr nope exists", false},
		{"tcp option", false},
	} {
		_, err := Compile("add rule ip6 t c "+tc.rule, Options{File: "x"})
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.rule, err)
		}
		if !tc.ok {
			var e *Error
			if !errors.As(err, &e) || e.Line != 1 || e.Col == 0 {
				t.Errorf("%s: want a positioned error, got %v", tc.rule, err)
			}
		}
	}
}

// TestFieldMask checks the mask of a bit field in its load.
func TestFieldMask(t *testing.T) {
	f := exthdrFrag.field("frag-off")
	e := &exthdrExpr{desc: exthdrFrag, field: f}
	n, shift, bf := e.geom()
	if m := fieldMask(f.bits, shift, n); !bf || string(m) != "\xff\xf8" {
		t.Fatalf("frag-off mask % x (bit field %v)", m, bf)
	}
}
