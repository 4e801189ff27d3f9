package compat

import (
	"strings"
	"testing"
)

// TestConnlabelMap reads label maps as libnetfilter_conntrack does (the
// test machines have no /etc/xtables/connlabel.conf, so the corpus only
// sees numbers), and prints names from one as iptables does.
func TestConnlabelMap(t *testing.T) {
	m := parseConnlabels("# comment\n0 eth0-in\n1\tfoo bar  \n1 again\n2 foo bar\n 0x10 hex\n1024 toobig\n3 bad_name\n4\n5  five\r\n#7 commented\n9nospace\n")
	want := map[string]int{"eth0-in": 0, "foo bar": 1, "hex": 16, "five": 5, "nospace": 9}
	if len(m.byName) != len(want) {
		t.Errorf("names %v, want %v", m.byName, want)
	}
	for n, b := range want {
		if got, ok := m.byName[n]; !ok || got != b {
			t.Errorf("%q: bit %d (%v), want %d", n, got, ok, b)
		}
		if got, ok := m.name(uint16(b)); !ok || got != n {
			t.Errorf("bit %d: name %q (%v), want %q", b, got, ok, n)
		}
	}
	for _, b := range []uint16{2, 3, 4, 17, 1000} {
		if n, ok := m.name(b); ok {
			t.Errorf("bit %d: named %q", b, n)
		}
	}
	if _, err := (&connlabelMap{readable: true, byName: map[string]int{}}).usable(); err == nil || !strings.Contains(err.Error(), "no labels found") {
		t.Errorf("a file naming no label: %v", err)
	} else if e, ok := err.(*Error); !ok || e.ExitStatus() != 4 {
		t.Errorf("a file naming no label: exit status of %v is not 4", err)
	}
	if _, err := (&connlabelMap{}).usable(); err != nil {
		t.Errorf("no file: %v", err)
	}

	// Names as -S, -L and -L -n print them.
	saved := connlabels
	connlabelsOnce.Do(func() {})
	connlabels = m
	defer func() { connlabels = saved }()
	ext := lookup(matches, "connlabel", IPv4)
	info := make([]byte, XTAlign(ext.Size))
	(&connlabelInfo{bit: 1, options: connlabelInvert | connlabelSet}).marshal(info)
	for _, c := range []struct {
		fn      func([]byte, *Writer)
		numeric bool
		want    string
	}{
		{ext.Save, false, ` ! --label "foo bar" --set`},
		{ext.Print, false, ` connlabel ! 'foo bar' set`},
		{ext.Print, true, ` connlabel ! 1 set`},
	} {
		w := &Writer{numeric: c.numeric}
		c.fn(info, w)
		if w.String() != c.want {
			t.Errorf("got %q, want %q", w.String(), c.want)
		}
	}
}
