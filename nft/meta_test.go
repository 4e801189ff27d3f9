package nft

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The types of meta keys read and print values as nft 1.0.6 does.
func TestMetaTypesRoundTrip(t *testing.T) {
	for _, c := range []struct {
		dt        *Datatype
		in, print string
	}{
		{dtClassID, "root", "root"},
		{dtClassID, "none", "none"},
		{dtClassID, "1:1234", "1:1234"},
		{dtClassID, "0x87654321", "8765:4321"},
		{dtClassID, "2271560481", "8765:4321"},
		{dtClassID, "aabb:", "aabb:0"},
		{dtMark, "0x32", "0x00000032"},
		{dtMark, "4", "0x00000004"},
		{dtTimeDay, "Saturday", `"Saturday"`},
		{dtTimeDay, "6", `"Saturday"`},
		{dtUID, "root", "0"},
		{dtTimeHour, "17:00", `"17:00"`},
		{dtTimeHour, "17:00:01", `"17:00:01"`},
	} {
		b, err := parseValue(c.dt, c.in, c.dt.Bits)
		if err != nil {
			t.Errorf("%s %q: %v", c.dt.Name, c.in, err)
			continue
		}
		if got := formatValue(c.dt, b, &PrintOptions{}); got != c.print {
			t.Errorf("%s %q prints %s, want %s", c.dt.Name, c.in, got, c.print)
		}
	}
}

// nft's scanner reads and/or/xor as operators and a classid as one word.
func TestScannerOperatorWordsAndClassid(t *testing.T) {
	toks, errs := scanAll("x", "meta mark and 0x03 or 1 xor 2 bcad:dada-bcad:dadc 1:1234 aa:bb:cc:dd:ee:ff")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, tk := range toks {
		got = append(got, tk.text)
	}
	want := "meta mark & 0x03 | 1 ^ 2 bcad:dada - bcad:dadc 1:1234 aa:bb:cc:dd:ee:ff "
	if strings.Join(got, " ") != want {
		t.Fatalf("tokens\n got %q\nwant %q", strings.Join(got, " "), want)
	}
}

// Rules nft refuses are refused here with nft's message, at a position.
func TestMetaRouteFibErrors(t *testing.T) {
	for _, c := range []struct{ rule, msg string }{
		{"add rule ip t c meta day 7 drop", "Value 7 exceeds valid range 0-6"},
		{`add rule ip t c meta iifname ""`, "Empty string is not allowed"},
		{"add rule inet t c rt nexthop 192.168.0.1", `cannot determine ip protocol version, use "ip nexthop" or "ip6 nexthop" instead`},
		{"add rule ip t c rt ip6 nexthop fd00::1", "ip6 nexthop will not match"},
		{"add rule ip t c fib mark oif lo", "fib: need either saddr or daddr"},
		{"add rule ip t c fib saddr . daddr oif lo", "fib: saddr and daddr are mutually exclusive"},
		{"add rule ip t c fib iif . oif . daddr oif lo", "fib: iif and oif are mutually exclusive"},
	} {
		_, err := Compile(c.rule, Options{})
		var e *Error
		if !errors.As(err, &e) || e.Msg != c.msg || e.Line != 1 || e.Col == 0 {
			t.Errorf("%s: got %v, want an error %q", c.rule, err, c.msg)
		}
	}
}

// Rules with meta, rt and fib compile, with the expressions nft writes.
func TestMetaRouteFibCompile(t *testing.T) {
	for _, c := range []struct {
		rule  string
		exprs string // the rule's expression kinds, in order
	}{
		{"add rule ip t c meta priority bcad:dada-bcad:dadc", "meta byteorder cmp cmp"},
		{"add rule ip t c meta mark or 0x03 == 0x01", "meta bitwise cmp"},
		{"add rule ip t c meta mark xor 0x03 == 0x01", "meta cmp"},
		{"add rule ip t c meta skuid lt 3000 accept", "meta byteorder cmp immediate"},
		{"add rule ip t c meta length { 33-55, 67-88 }", "meta byteorder lookup"},
		{"add rule ip t c meta protocol ip udp dport 67", "meta cmp payload cmp"},
		{"add rule inet t c meta nfproto ipv4 rt nexthop 192.168.0.1", "meta cmp rt cmp"},
		{"add rule ip t c fib daddr oif exists", "fib cmp"},
		{"add rule inet t c meta mark set ct mark >> 8", "ct bitwise meta"},
		{"add rule ip t c meta time < \"2022-07-01 11:00:00\" accept", "meta byteorder cmp immediate"},
	} {
		prog, err := Compile(c.rule, Options{})
		if err != nil {
			t.Errorf("%s: %v", c.rule, err)
			continue
		}
		m := prog.Messages[len(prog.Messages)-1]
		if got := exprKinds(m.Attrs); got != c.exprs {
			t.Errorf("%s: expressions %q, want %q", c.rule, got, c.exprs)
		}
	}
}

// exprKinds lists the expression names of a NEWRULE message's attributes.
func exprKinds(attrs []byte) string {
	var names []string
	walk := func(b []byte, f func(typ uint16, v []byte)) {
		for len(b) >= 4 {
			l := int(b[0]) | int(b[1])<<8
			typ := (uint16(b[2]) | uint16(b[3])<<8) & 0x3fff
			if l < 4 || l > len(b) {
				return
			}
			f(typ, b[4:l])
			b = b[(l+3)&^3:]
		}
	}
	walk(attrs, func(typ uint16, v []byte) {
		if typ != 4 { // NFTA_RULE_EXPRESSIONS
			return
		}
		walk(v, func(_ uint16, elem []byte) {
			walk(elem, func(typ uint16, name []byte) {
				if typ == 1 { // NFTA_EXPR_NAME
					names = append(names, strings.TrimRight(string(name), "\x00"))
				}
			})
		})
	})
	return fmt.Sprint(strings.Join(names, " "))
}
