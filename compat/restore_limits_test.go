package compat

import (
	"bytes"
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// TestCommentEveryByteRoundTrip: a comment holding any byte from 0x01 to
// 0xff, written by iptables-nft, is saved as iptables-nft-save saves it,
// and what either saves is restored by the other to the same ruleset. A
// newline is the exception iptables-nft-restore cannot read back (it
// refuses its own save); ours must.
func TestCommentEveryByteRoundTrip(t *testing.T) {
	p := newPair(t, ProtocolIPv4)
	comment := func(b int) string { return "a" + string([]byte{byte(b)}) + "b" }
	for b := 1; b <= 0xff; b++ {
		p.ref.MustRun(t, p.cmd, "-A", "INPUT", "-m", "comment", "--comment", comment(b), "-j", "ACCEPT")
		// The same rule written by us must read back alike.
		if err := p.ipt.Append("filter", "INPUT", "-m", "comment", "--comment", comment(b), "-j", "ACCEPT"); err != nil {
			t.Fatalf("Append with byte %#x: %v", b, err)
		}
	}
	want := stripComments(p.ref.MustRun(t, "iptables-nft-save", "-t", "filter"))
	if got := stripComments(p.ours.MustRun(t, "iptables-nft-save", "-t", "filter")); got != want {
		t.Fatalf("what we wrote saves as\n%q\nwhat iptables-nft wrote as\n%q", got, want)
	}
	refIPT, err := New(NetNS(p.ref.Name))
	if err != nil {
		t.Fatal(err)
	}
	var saved bytes.Buffer
	if err := refIPT.Save(&saved, "filter"); err != nil {
		t.Fatal(err)
	}
	if stripComments(saved.String()) != want {
		t.Fatalf("Save:\n%q\niptables-nft-save:\n%q", saved.String(), want)
	}

	// Our Restore reads iptables-nft-save's text (newline too).
	restored := netnstest.New(t)
	ipt, err := New(NetNS(restored.Name))
	if err != nil {
		t.Fatal(err)
	}
	if err := ipt.Restore(strings.NewReader(want)); err != nil {
		t.Fatalf("Restore of iptables-nft-save's text: %v", err)
	}
	if got := stripComments(restored.MustRun(t, "iptables-nft-save", "-t", "filter")); got != want {
		t.Fatalf("after Restore:\n%q\nwant\n%q", got, want)
	}

	// iptables-nft-restore reads our Save, but for the newline.
	theirs := netnstest.New(t)
	if _, err := theirs.RunInput(saved.Bytes(), "iptables-nft-restore"); err == nil {
		t.Fatal("iptables-nft-restore read a comment with a newline: the exception this test assumes is gone")
	}
	nl := "-A INPUT -m comment --comment \"a\nb\" -j ACCEPT\n"
	if !strings.Contains(saved.String(), nl) {
		t.Fatalf("Save has no rule %q", nl)
	}
	if _, err := theirs.RunInput([]byte(strings.Replace(saved.String(), nl, "", 1)), "iptables-nft-restore"); err != nil {
		t.Fatal(err)
	}
	if got := stripComments(theirs.MustRun(t, "iptables-nft-save", "-t", "filter")); got != strings.Replace(want, nl, "", 1) {
		t.Fatalf("iptables-nft-restore of our Save:\n%q", got)
	}
}

// restoreBoth restores input with ours and with iptables-nft-restore in
// twin namespaces; it returns both errors and both saves.
func restoreBoth(t *testing.T, input string) (ours, ref error, oursSave, refSave string) {
	t.Helper()
	p := newPair(t, ProtocolIPv4)
	ours = p.ipt.Restore(strings.NewReader(input))
	_, ref = p.ref.RunInput([]byte(input), "iptables-nft-restore")
	return ours, ref, stripComments(p.ours.MustRun(t, "iptables-nft-save")), stripComments(p.ref.MustRun(t, "iptables-nft-save"))
}

// TestRestoreUnterminatedQuote: a quote left open runs to the end of the
// line, newline included, as iptables-nft-restore reads it.
func TestRestoreUnterminatedQuote(t *testing.T) {
	ours, ref, a, b := restoreBoth(t, "*filter\n-A INPUT -m comment --comment \"abc -j ACCEPT\nCOMMIT\n")
	if ours != nil || ref != nil {
		t.Fatalf("ours: %v, iptables-nft-restore: %v", ours, ref)
	}
	if a != b {
		t.Fatalf("ours:\n%q\niptables-nft-restore:\n%q", a, b)
	}
}

// TestRestoreLimits: the limits of iptables-restore on a line, its
// arguments and their length hold here too, with its words and line.
func TestRestoreLimits(t *testing.T) {
	rule := func(args ...string) string {
		return "*filter\n-A INPUT " + strings.Join(args, " ") + " -j ACCEPT\nCOMMIT\n"
	}
	comments := func(n int) []string { // n arguments (a multiple of 4)
		var a []string
		for range n / 4 {
			a = append(a, "-m", "comment", "--comment", "x")
		}
		return a
	}
	wide := func(n int) string { // a line of n bytes
		head := "-A INPUT -m comment --comment x "
		return "*filter\n" + head + strings.Repeat(" ", n-len(head)-len("-j ACCEPT")) + "-j ACCEPT\nCOMMIT\n"
	}
	for _, c := range []struct {
		name, input string
		sameWords   bool // the oracle fails with a message of its own
	}{
		{"param 1023", rule("-m comment --comment", strings.Repeat("y", 1023)), true},
		{"param 1024", rule("-m comment --comment", strings.Repeat("y", 1024)), true},
		{"quoted param 1024", rule("-m comment --comment", `"`+strings.Repeat("y ", 512)+`"`), true},
		{"251 args", rule(append(comments(240), "-p", "tcp", "--dport", "1", "-s", "10.0.0.1", "--syn")...), true}, // with -A INPUT and -j ACCEPT
		{"252 args", rule(append(comments(240), "-p", "tcp", "--dport", "1", "-s", "10.0.0.1", "-i", "eth0")...), true},
		{"line 10239", wide(10239), false},
		{"line 10240", wide(10240), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ours, ref, a, b := restoreBoth(t, c.input)
			if (ours == nil) != (ref == nil) {
				t.Fatalf("ours: %v\niptables-nft-restore: %v", ours, ref)
			}
			if a != b {
				t.Fatalf("ours:\n%s\niptables-nft-restore:\n%s", a, b)
			}
			if ours == nil {
				return
			}
			var e *Error
			if !errors.As(ours, &e) || e.ExitStatus() != 2 {
				t.Fatalf("error %v: want an *Error with exit status 2", ours)
			}
			var re *RestoreError
			if !errors.As(ours, &re) || re.Line != 2 {
				t.Fatalf("error %v: want a *RestoreError at line 2", ours)
			}
			if c.sameWords {
				var ee *exec.ExitError
				if !errors.As(ref, &ee) || ee.ExitCode() != 2 {
					t.Fatalf("iptables-nft-restore: %v, want exit status 2", ref)
				}
				words := strings.SplitN(ours.Error(), "(nf_tables): ", 2)
				if len(words) != 2 || !strings.Contains(ref.Error(), words[1]) {
					t.Fatalf("ours: %q\niptables-nft-restore: %q", ours, ref)
				}
			} else if !errors.Is(ours, ErrLineTooLong) {
				t.Fatalf("error %v: want ErrLineTooLong", ours)
			}
		})
	}
}

// endless is a reader of bytes with no newline after a first line.
type endless struct{ read int }

func (r *endless) Read(p []byte) (int, error) {
	n := copy(p, "*filter\n"[min(r.read, 8):])
	for i := n; i < len(p); i++ {
		p[i] = 'x'
	}
	r.read += len(p)
	return len(p), nil
}

// TestRestoreHugeLineStopsEarly: a line past the limit fails once the
// limit is passed, not after the whole line is held (a 512 MiB line once
// took 1.26 GB and was reported as "input ends without COMMIT").
func TestRestoreHugeLineStopsEarly(t *testing.T) {
	ipt, _ := fakeWithChains(t)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	r := &endless{}
	err := ipt.Restore(r)
	runtime.ReadMemStats(&m1)
	var re *RestoreError
	if !errors.Is(err, ErrLineTooLong) || !errors.As(err, &re) || re.Line != 2 {
		t.Fatalf("Restore = %v; want ErrLineTooLong at line 2", err)
	}
	if r.read > 1<<20 {
		t.Errorf("read %d bytes before failing", r.read)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 8<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
	if rules, _ := ipt.List("filter", "INPUT"); len(rules) != 1 {
		t.Errorf("INPUT holds %q after a failed restore", rules)
	}
}

// failing reads its text, then fails.
type failing struct {
	text string
	err  error
}

func (r *failing) Read(p []byte) (int, error) {
	if r.text == "" {
		return 0, r.err
	}
	n := copy(p, r.text)
	r.text = r.text[n:]
	return n, nil
}

// TestRestoreReaderFails: a reader failing part-way gives a *RestoreError
// naming the line it stopped in and wrapping the reader's error; nothing
// is applied.
func TestRestoreReaderFails(t *testing.T) {
	ipt, _ := fakeWithChains(t)
	cause := errors.New("connection reset")
	err := ipt.Restore(&failing{text: "*filter\n-A INPUT -j ACCEPT\n-A INP", err: cause})
	var re *RestoreError
	if !errors.Is(err, cause) || !errors.As(err, &re) || re.Line != 3 {
		t.Fatalf("Restore = %v; want the reader's error at line 3", err)
	}
	if !strings.Contains(err.Error(), "line: 3") {
		t.Errorf("message %q does not name the line", err)
	}
	if rules, _ := ipt.List("filter", "INPUT"); len(rules) != 1 {
		t.Errorf("INPUT holds %q after a failed restore", rules)
	}
}
