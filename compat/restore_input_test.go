package compat

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xtnl/xtnl/netnstest"
)

// Every kind of reader restores the same rules, a string read where it
// lies or anything else read into a copy, and is left consumed.
func TestRestoreInputKinds(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	const text = "*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A X -s 10.6.0.1/32 -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -j X\nCOMMIT\n"
	var want string
	kinds := []struct {
		name string
		r    func() io.Reader
	}{
		{"strings.Reader", func() io.Reader { return strings.NewReader(text) }},
		{"bytes.Reader", func() io.Reader { return bytes.NewReader([]byte(text)) }},
		{"bytes.Buffer", func() io.Reader { return bytes.NewBufferString(text) }},
		{"one byte at a time", func() io.Reader { return iotest.OneByteReader(strings.NewReader(text)) }},
	}
	for _, k := range kinds {
		ns.MustRun(t, "nft", "flush", "ruleset")
		r := k.r()
		if err := ipt.Restore(r); err != nil {
			t.Fatalf("%s: %v", k.name, err)
		}
		got := ns.MustRun(t, "iptables-nft-save")
		got = got[strings.Index(got, "*filter"):strings.Index(got, "COMMIT")]
		if want == "" {
			want = got
			if !strings.Contains(want, "-A X -s 10.6.0.1/32 -p tcp -m tcp --dport 22 -j ACCEPT") {
				t.Fatalf("%s: restored\n%s", k.name, got)
			}
		} else if got != want {
			t.Fatalf("%s: restored\n%s\nwant\n%s", k.name, got, want)
		}
		if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("%s: left %d bytes unread (%v)", k.name, n, err)
		}
	}
}

// An error from input the caller holds as bytes does not refer to them
// (errors quote tokens of the input): once the caller reuses its buffer,
// the error still says what it said.
func TestRestoreErrorOwnsItsText(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"bytes.Reader", "bytes.Buffer"} {
		buf := []byte("*filter\n:FOO - [0:0]\n-A FOO -p tcp --dport 6553x -j ACCEPT\nCOMMIT\n")
		var r io.Reader = bytes.NewReader(buf)
		if kind == "bytes.Buffer" {
			r = bytes.NewBuffer(buf)
		}
		err := ipt.Restore(r)
		var se *SpecError
		if !errors.As(err, &se) || !strings.Contains(se.Token+se.Msg, "6553x") {
			t.Fatalf("%s: %v (%#v), want a SpecError naming 6553x", kind, err, se)
		}
		msg, token := err.Error(), strings.Clone(se.Token)
		for i := range buf {
			buf[i] = '#' // the caller reuses its buffer
		}
		if err.Error() != msg || se.Token != token {
			t.Fatalf("%s: the error changed with the caller's buffer:\n%q\nnow\n%q", kind, msg, err.Error())
		}
	}
	if out := ns.MustRun(t, "nft", "list", "ruleset"); strings.Contains(out, "FOO") {
		t.Fatalf("a failed restore left:\n%s", out)
	}
}
