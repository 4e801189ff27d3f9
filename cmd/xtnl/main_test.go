package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// The CLI against iptables-nft: the same command lines in two throwaway
// namespaces must print the same stdout and exit with the same status.

func refStatus(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

func TestCLIAgainstIptablesNft(t *testing.T) {
	for _, tool := range []string{"iptables-nft", "ip6tables-nft", "iptables-nft-save"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed: %v", tool, err)
		}
	}
	script := []string{
		"-S",
		"-L",
		"-L -n -v",
		"-N WEB",
		"-N WEB",
		"-A INPUT -i lo -j ACCEPT",
		"-A INPUT -p tcp --dport 22 -j ACCEPT",
		"-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 443 -j WEB",
		"-A INPUT -p udp -g WEB",
		"-A INPUT -j NOPE",
		"-A INPUT --bogus",
		"-I INPUT 2 -m comment --comment \"second rule\" -j DROP",
		"-I INPUT 99 -j DROP",
		"-A WEB -m limit --limit 5/min -j LOG --log-prefix x",
		"-A WEB -j REJECT",
		"-C INPUT -p tcp --dport 22 -j ACCEPT",
		"-C INPUT -p tcp --dport 23 -j ACCEPT",
		"-S",
		"-S INPUT",
		"-S INPUT 2",
		"-S INPUT 9",
		"-S INPUT 0",
		"-v -S",
		"-L",
		"-L INPUT",
		"-L -n",
		"-L -n -v",
		"-L -n -v -x",
		"-L -v --line-numbers",
		"-L WEB -n --line-numbers",
		"-R INPUT 1 -i lo -j DROP",
		"-R INPUT 9 -j DROP",
		"-D INPUT -p tcp --dport 22 -j ACCEPT",
		"-D INPUT -p tcp --dport 22 -j ACCEPT",
		"-D INPUT 1",
		"-D INPUT 9",
		"-X WEB",
		"-X NOPE",
		"-E WEB SITE",
		"-E NOPE X",
		"-P INPUT DROP",
		"-P INPUT FOO",
		"-P SITE DROP",
		"-t nat -A POSTROUTING -o eth0 -j ACCEPT",
		"-t nat -S",
		"-t nat -L -n",
		"-Z",
		"-F SITE",
		"-F NOPE",
		"-S",
		"-F",
		"-X",
		"-S",
		"-t mangle -P FORWARD DROP",
		"-t mangle -L -v -n",
	}
	for _, fam := range []string{"4", "6"} {
		ref := "iptables-nft"
		if fam == "6" {
			ref = "ip6tables-nft"
		}
		t.Run("ipv"+fam, func(t *testing.T) {
			ours, theirs := netnstest.New(t), netnstest.New(t)
			for _, line := range script {
				args := splitLine(line)
				var stdout, stderr bytes.Buffer
				got := run(append([]string{"--netns", ours.Name, "-" + fam}, args...), nil, &stdout, &stderr)
				cmd := theirs.Command(ref, args...)
				var refOut, refErr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &refOut, &refErr
				want := refStatus(cmd.Run())
				if got != want {
					t.Errorf("%q: exit %d (%s), iptables-nft %d (%s)", line, got, strings.TrimSpace(stderr.String()), want, strings.TrimSpace(refErr.String()))
				}
				if stdout.String() != refOut.String() {
					t.Errorf("%q: stdout\n%s\niptables-nft:\n%s", line, stdout.String(), refOut.String())
				}
			}
			// The whole state, through iptables-nft-save.
			save := ref + "-save"
			a, b := ours.MustRun(t, save), theirs.MustRun(t, save)
			if stripComments(a) != stripComments(b) {
				t.Errorf("final state:\n%s\niptables-nft:\n%s", a, b)
			}
			var out bytes.Buffer
			if code := run([]string{"save", "--netns", ours.Name, "-" + fam}, nil, &out, &out); code != 0 || stripComments(out.String()) != stripComments(b) {
				t.Errorf("xtnl save (%d):\n%s\niptables-nft-save:\n%s", code, out.String(), b)
			}
		})
	}
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// splitLine splits on spaces, keeping double-quoted groups.
func splitLine(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, in := false, false
	for _, c := range s {
		switch {
		case c == '"':
			quoted, in = !quoted, true
		case c == ' ' && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func TestRestoreCommand(t *testing.T) {
	ns := netnstest.New(t)
	in := "*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -p tcp -m tcp --dport 80 -j X\n-A X -j ACCEPT\nCOMMIT\n"
	var out bytes.Buffer
	if code := run([]string{"restore", "--netns", ns.Name}, strings.NewReader(in), &out, &out); code != 0 {
		t.Fatalf("restore: %d %s", code, out.String())
	}
	got := ns.MustRun(t, "iptables-nft", "-S")
	want := "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N X\n-A INPUT -p tcp -m tcp --dport 80 -j X\n-A X -j ACCEPT\n"
	if got != want {
		t.Fatalf("after restore:\n%s", got)
	}
	bad := "*filter\n-A INPUT --nope\nCOMMIT\n"
	out.Reset()
	if code := run([]string{"restore", "--netns", ns.Name}, strings.NewReader(bad), &out, &out); code != 2 || !strings.Contains(out.String(), "line: 2") {
		t.Fatalf("bad restore: %d %s", code, out.String())
	}
}
