package compat

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// What the differential corpus cannot say about the dccp, srh, ipcomp,
// mh, IPv6 ah and rateest matches, against iptables-nft: their -L forms,
// and how a rule the kernel refuses is refused.

// TestMatchListingForms: every rule those matches' corpus files accept
// goes, in its family, into one user chain through iptables-nft; compat's
// listings of the chain (-L, -L -n, -L -n -v -x --line-numbers) must be
// iptables-nft's, byte for byte.
func TestMatchListingForms(t *testing.T) {
	needTools(t)
	for _, name := range []string{"dccp", "srh", "ipcomp", "mh", "ah6", "rateest"} {
		cases := loadCorpusFile(t, filepath.Join("testdata", "corpus_match_"+name+".txt"))
		for _, fam := range []Family{IPv4, IPv6} {
			var rules [][]string
			for _, c := range cases {
				if !c.reject && c.fam == fam {
					rules = append(rules, c.args)
				}
			}
			if len(rules) == 0 {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s", name, iptablesCmd(fam)), func(t *testing.T) {
				t.Parallel()
				ns := netnstest.New(t)
				ipt := iptablesCmd(fam)
				ns.MustRun(t, ipt, "-N", "T")
				if name == "rateest" {
					makeEstimators(t, ns, fam, "filter")
				}
				for _, r := range rules {
					ns.MustRun(t, ipt, append([]string{"-A", "T"}, r...)...)
				}
				ours, err := New(NetNS(ns.Name), IPFamily(protocolOf(fam)))
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range []struct {
					args []string
					o    ListOptions
				}{
					{nil, ListOptions{}},
					{[]string{"-n"}, ListOptions{Numeric: true}},
					{[]string{"-n", "-v", "-x", "--line-numbers"}, ListOptions{Numeric: true, Verbose: true, Exact: true, LineNumbers: true}},
				} {
					want := ns.MustRun(t, ipt, append([]string{"-L", "T"}, f.args...)...)
					var got strings.Builder
					if err := ours.ListTable(&got, "filter", "T", f.o); err != nil {
						t.Fatalf("-L %v: %v", f.args, err)
					}
					if got.String() != want {
						t.Errorf("-L %v:\n got:\n%s\nwant:\n%s", f.args, got.String(), want)
					}
				}
			})
		}
	}
}

// makeEstimators makes the rate estimators RE1 and RE2 (as the corpus's
// prepare does).
func makeEstimators(t *testing.T, ns *netnstest.NS, fam Family, table string) {
	ipt := iptablesCmd(fam)
	ns.MustRun(t, ipt, "-t", table, "-N", "ESTIMATORS")
	for _, name := range []string{"RE1", "RE2"} {
		ns.MustRun(t, ipt, "-t", table, "-A", "ESTIMATORS", "-j", "RATEEST", "--rateest-name", name, "--rateest-interval", "250ms", "--rateest-ewmalog", "500ms")
	}
}

func protocolOf(fam Family) Protocol {
	if fam == IPv6 {
		return ProtocolIPv6
	}
	return ProtocolIPv4
}

// TestKernelRefusedRules: a rule iptables-nft sends and the kernel
// refuses (a match with the wrong -p, a rateest match comparing nothing
// or naming no estimator) gets, from Append, Insert, Replace, Exists and
// Delete, iptables-nft's message and exit status for -A, -I, -R, -C and
// -D.
func TestKernelRefusedRules(t *testing.T) {
	needTools(t)
	for _, c := range []struct {
		fam  Family
		spec string
	}{
		{IPv4, "-m ah --ahspi 0"},
		{IPv4, "-m esp"},
		{IPv4, "-m dccp --sport 5"},
		{IPv6, "! -p dccp -m dccp"},
		{IPv4, "-m ipcomp --ipcompspi 1"},
		{IPv6, "-m mh --mh-type 1"},
		{IPv4, "-p udp -m tcpmss --mss 5"},
		{IPv4, "-m rateest --rateest RE1"},
		{IPv6, "-m rateest --rateest RE1 --rateest-bps 8bit"},
		{IPv4, "-m rateest --rateest NOPE --rateest-bps 8bit --rateest-lt"},
	} {
		t.Run(iptablesCmd(c.fam)+" "+c.spec, func(t *testing.T) {
			t.Parallel()
			args, err := splitArgs(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			ref, ours := netnstest.New(t), netnstest.New(t)
			ipt := iptablesCmd(c.fam)
			for _, ns := range []*netnstest.NS{ref, ours} {
				makeEstimators(t, ns, c.fam, "filter")
				ns.MustRun(t, ipt, "-A", "INPUT", "-j", "ACCEPT")
			}
			x, err := New(NetNS(ours.Name), IPFamily(protocolOf(c.fam)))
			if err != nil {
				t.Fatal(err)
			}
			for _, op := range []struct {
				cmd []string
				run func() error
			}{
				{[]string{"-A", "INPUT"}, func() error { return x.Append("filter", "INPUT", args...) }},
				{[]string{"-I", "INPUT", "1"}, func() error { return x.Insert("filter", "INPUT", 1, args...) }},
				{[]string{"-R", "INPUT", "1"}, func() error { return x.Replace("filter", "INPUT", 1, args...) }},
				{[]string{"-D", "INPUT"}, func() error { return x.Delete("filter", "INPUT", args...) }},
				{[]string{"-C", "INPUT"}, func() error {
					ok, err := x.Exists("filter", "INPUT", args...)
					if err == nil && !ok {
						err = ErrorNotFound("Bad rule (does a matching rule exist in that chain?).")
					}
					return err
				}},
			} {
				cmd := ref.Command(ipt, append(op.cmd, args...)...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				wantStatus := 0
				if err := cmd.Run(); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						t.Fatal(err)
					}
					wantStatus = ee.ExitCode()
				}
				wantMsg, _, _ := strings.Cut(stderr.String(), "\n")
				wantMsg = strings.Replace(wantMsg, ipt[:len(ipt)-len("-nft")], "iptables", 1)
				err := op.run()
				var e *Error
				if !errors.As(err, &e) {
					t.Errorf("%v: %v is not an *Error (iptables-nft: exit %d, %q)", op.cmd, err, wantStatus, wantMsg)
					continue
				}
				if e.ExitStatus() != wantStatus || e.Error() != wantMsg {
					t.Errorf("%v:\n got: exit %d, %q\nwant: exit %d, %q", op.cmd, e.ExitStatus(), e.Error(), wantStatus, wantMsg)
				}
			}
		})
	}
}
