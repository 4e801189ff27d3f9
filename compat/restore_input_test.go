package compat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xtnl/xtnl"
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

// toldLength is a reader that tells how much it holds, as a caller's own
// reader type may; not a *bytes.Buffer, which Restore reads in place.
type toldLength struct{ *bytes.Buffer }

// A large input from a reader that tells its length is parsed while it
// is copied in (streamInput): every rule lands, in order, as iptables-nft shows; an
// error early in it names its line, and Restore has read the caller's
// buffer to its end before returning either way (the caller may reuse
// it; -race checks that nothing reads it after).
func TestRestoreStreamedInput(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	const n = 6000 // ~370 KB: above streamMin
	text := filterText("S", n, func(i int) string {
		return fmt.Sprintf("-s 10.7.%d.%d/32 -p udp -m udp --dport %d -j ACCEPT", byte(i>>8), byte(i), 1000+i)
	})
	if len(text) < streamMin {
		t.Fatalf("input of %d bytes is below streamMin: the case is not made", len(text))
	}
	buf := toldLength{bytes.NewBufferString(text)}
	if err := ipt.Restore(buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("%d bytes left unread", buf.Len())
	}
	got := ns.MustRun(t, "iptables-nft-save", "-t", "filter")
	if a, b := strings.Join(appendLines(got), "\n"), strings.Join(appendLines(text), "\n"); a != b {
		t.Fatalf("restored rules differ from the input (%d lines, want %d)", len(appendLines(got)), n)
	}

	// A bad line early on: the error names it, nothing changes, and the
	// buffer is drained when Restore returns; then the caller reuses it.
	bad := strings.Replace(text, "-A S -s 10.7.0.5/32", "-A S -s 10.7.0.500/32", 1)
	buf = toldLength{bytes.NewBufferString(bad)}
	err = ipt.Restore(buf)
	var re *RestoreError
	if !errors.As(err, &re) || re.Line != 9 {
		t.Fatalf("err %v; want a RestoreError at line 9", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("Restore returned while %d bytes of the caller's buffer were still to be read", buf.Len())
	}
	buf.Reset()
	buf.WriteString(strings.Repeat("x", 1000))
	if after := ns.MustRun(t, "iptables-nft-save", "-t", "filter"); stripComments(after) != stripComments(got) {
		t.Fatal("a failed restore changed the ruleset")
	}
}

// failingReader tells its full length but fails after some bytes.
type failingReader struct {
	*bytes.Reader
	left int
}

var errReadFailed = errors.New("the disk is on fire")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, errReadFailed
	}
	n, err := f.Reader.Read(p[:min(len(p), f.left)])
	f.left -= n
	return n, err
}

// A read error in the middle of a streamed input is Restore's error, and
// nothing of the input is applied.
func TestRestoreStreamedReadError(t *testing.T) {
	needTools(t)
	ns := netnstest.New(t)
	ipt, err := New(NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	text := filterText("S", 8000, func(i int) string {
		return fmt.Sprintf("-s 10.8.%d.%d/32 -j ACCEPT", byte(i>>8), byte(i))
	})
	before := ns.MustRun(t, "nft", "list", "ruleset")
	err = ipt.Restore(&failingReader{Reader: bytes.NewReader([]byte(text)), left: len(text) / 2})
	if !errors.Is(err, errReadFailed) {
		t.Fatalf("err %v; want the reader's error", err)
	}
	if after := ns.MustRun(t, "nft", "list", "ruleset"); after != before {
		t.Fatalf("a restore whose input failed changed the ruleset:\n%s", after)
	}
}

// A large restore is cut into chunks encoded on all CPUs, each chunk a
// span of the input whose blank and comment lines the encoder skips as
// the reader does: a bad rule deep in it is named by its own line, and a
// good input lands every rule, in order, at any GOMAXPROCS.
func TestRestoreChunkLines(t *testing.T) {
	const n = 3000
	var good strings.Builder
	good.WriteString("# generated\n*filter\n:INPUT ACCEPT [0:0]\n:C - [0:0]\n")
	line := 4
	badLine := 0
	var want []string
	for i := range n {
		if i%7 == 3 {
			good.WriteString("\n")
			line++
		}
		if i%11 == 5 {
			good.WriteString("   # a comment, indented\n")
			line++
		}
		rule := fmt.Sprintf("-A C -s 10.9.%d.%d/32 -p udp -m udp --dport %d -j ACCEPT", byte(i>>8), byte(i), 2000+i)
		good.WriteString(rule + "\n")
		line++
		want = append(want, rule)
		if i == 2222 {
			badLine = line
		}
	}
	good.WriteString("COMMIT\n")
	bad := strings.Replace(good.String(), fmt.Sprintf("--dport %d ", 2000+2222), "--dport 6553x ", 1)
	for _, procs := range []int{1, runtime.NumCPU()} {
		// Subtests, so that GOMAXPROCS is put back even when one fails.
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			conn := xtnl.OpenFake()
			defer conn.Close()
			ipt, err := New(WithConn(conn))
			if err != nil {
				t.Fatal(err)
			}
			err = ipt.Restore(strings.NewReader(bad))
			var re *RestoreError
			if !errors.As(err, &re) || re.Line != badLine {
				t.Errorf("%v; want a RestoreError at line %d", err, badLine)
			}
			if ok, _ := ipt.ChainExists("filter", "C"); ok {
				t.Errorf("a failed restore created chain C")
			}
			if err := ipt.Restore(bytes.NewBufferString(good.String())); err != nil {
				t.Fatal(err)
			}
			got, err := ipt.List("filter", "C")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got[1:], want) {
				t.Errorf("%d rules restored, want %d in order", len(got)-1, len(want))
			}
		})
	}
}
