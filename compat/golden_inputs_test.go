package compat

// The inputs of the golden harness (golden_test.go): rulespecs made from
// the corpus, iptables' own extension tests and the rulespecs this
// package's tests spell out, each varied every way the parser can tell;
// payloads random and mutated.

import (
	"encoding/hex"
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var goldenValues = []string{
	"", "0", "1", "-0", "-1", "+5", " 7", "0x10", "010", "08", "255", "256", "65535", "65536",
	"4294967295", "4294967296", "18446744073709551615", "18446744073709551616", "1:2", "2:1", ":5", "5:",
	"1-2", "2-1", "1,2", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "a", "A", "abc", "tcp", "udp", "icmp",
	"0/0", "1.2.3.4", "1.2.3.4/24", "1.2.3.4/33", "1.2.3.4/255.0.255.0", "::1", "2001:db8::/64", "ssh", "http",
	"1/2", "0x1/0xff", "1/", "/1", "ESTABLISHED", "NEW,", "in", "out", "src", "src,dst", "dst,src,src",
	"1.5", "0.5", "2s", "10/sec", "1/minute", "1/h", "1kb/s", "5mb/s", "x", "!", "--", "32", "33", "128", "129",
	"1.2.3.4:80", "1.2.3.4-1.2.3.9:80-90", "[::1]:80", ":80", "80-90/5", "ALL", "NONE", "SYN,ACK", "SYN",
	"any", "echo-request", "3/4", "CS1", "af11", "EF", "Normal-Service", "0x3f", "ct", "sport,dport",
	"23:59", "2020-01-01", "Mon,Tue", "1,31", "fwmark", "RETURN", "original", "REPLY", "both", "all",
	strings.Repeat("z", 40), strings.Repeat("y", 300), "\"q\"", "a b", "|41 42|", "\\", "nth", "random",
}

var goldenPlaces = [][2]string{
	{"filter", "INPUT"}, {"filter", "FORWARD"}, {"filter", "OUTPUT"}, {"filter", "X"},
	{"nat", "PREROUTING"}, {"nat", "INPUT"}, {"nat", "OUTPUT"}, {"nat", "POSTROUTING"},
	{"mangle", "PREROUTING"}, {"mangle", "POSTROUTING"}, {"mangle", "FORWARD"}, {"raw", "PREROUTING"},
	{"raw", "OUTPUT"}, {"security", "INPUT"},
}

var goldenProtos = [][]string{
	nil, {"-p", "tcp"}, {"-p", "udp"}, {"!", "-p", "tcp"}, {"-p", "icmp"}, {"-p", "icmpv6"}, {"-p", "sctp"},
	{"-p", "esp"}, {"-p", "ah"}, {"-p", "udplite"}, {"-p", "dccp"}, {"-p", "all"}, {"-p", "6"},
}

// goldenGroups splits args into option groups: an optional "!", an option token,
// and the tokens up to the next option.
func goldenGroups(args []string) [][]string {
	var out [][]string
	i := 0
	for i < len(args) {
		start := i
		if args[i] == "!" {
			i++
		}
		if i < len(args) {
			i++
		}
		for i < len(args) && args[i] != "!" && !(strings.HasPrefix(args[i], "-") && len(args[i]) > 1 && !isNumberish(args[i])) {
			i++
		}
		out = append(out, slices.Clone(args[start:i]))
	}
	return out
}

func isNumberish(s string) bool { return len(s) > 1 && s[1] >= '0' && s[1] <= '9' }

// goldenKeys names the extension each group belongs to ("-m tcp").
func goldenKeys(groups [][]string) []string {
	keys := make([]string, len(groups))
	cur := ""
	for i, g := range groups {
		tok := g[0]
		if tok == "!" && len(g) > 1 {
			tok = g[1]
		}
		if (tok == "-m" || tok == "-j" || tok == "-p" || tok == "--match" || tok == "--jump" || tok == "--protocol") && len(g) > 1 {
			cur = tok + " " + g[len(g)-1]
		}
		keys[i] = cur
	}
	return keys
}

// goldenTests reads iptables' own extension tests (libxt_*.t and the
// family ones, from XTNL_IPTABLES_TESTS or a shared/iptables-tests beside
// the checkout or its worktree):
// every rule line, accepted or not, in the table and first chain the
// file names.
func goldenTests(t *testing.T) []seedRule {
	var files []string
	dirs := []string{"../../shared/iptables-tests", "../../../shared/iptables-tests"}
	if dir := os.Getenv("XTNL_IPTABLES_TESTS"); dir != "" {
		dirs = []string{dir}
	}
	for _, dir := range dirs {
		if files, _ = filepath.Glob(filepath.Join(dir, "lib*.t")); len(files) > 0 {
			break
		}
	}
	if len(files) == 0 {
		t.Logf("no iptables tests in %s", dirs)
	}
	var out []seedRule
	for _, file := range files {
		base := filepath.Base(file)
		var fams []Family
		switch {
		case strings.HasPrefix(base, "libxt_"):
			fams = []Family{IPv4, IPv6}
		case strings.HasPrefix(base, "libipt_"):
			fams = []Family{IPv4}
		case strings.HasPrefix(base, "libip6t_"):
			fams = []Family{IPv6}
		default:
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		table, chain := "filter", "INPUT"
		for _, line := range strings.Split(string(b), "\n") {
			switch {
			case strings.HasPrefix(line, "*"):
				table = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, ":"):
				chain, _, _ = strings.Cut(strings.TrimSpace(line[1:]), ",")
			case strings.HasPrefix(line, "-") || strings.HasPrefix(line, "!"):
				spec, _, _ := strings.Cut(line, ";")
				args, err := splitArgs(spec)
				if err != nil {
					continue
				}
				for _, fam := range fams {
					out = append(out, seedRule{fam: fam, table: table, chain: chain, args: args})
				}
			}
		}
	}
	return out
}

// goldenLiterals collects the rulespecs this package's tests spell out:
// string slices starting with an option, and strings holding one (after
// "-A CHAIN"), with no format verbs.
func goldenLiterals(t *testing.T) []seedRule {
	files, _ := filepath.Glob("*_test.go")
	fset := token.NewFileSet()
	var out []seedRule
	add := func(args []string) {
		if len(args) == 0 || (!strings.HasPrefix(args[0], "-") && args[0] != "!") {
			return
		}
		for _, fam := range []Family{IPv4, IPv6} {
			out = append(out, seedRule{fam: fam, table: "filter", chain: "INPUT", args: args})
		}
	}
	for _, file := range files {
		if strings.HasPrefix(file, "golden") {
			continue
		}
		f, err := goparser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				at, ok := n.Type.(*ast.ArrayType)
				if !ok || fmt.Sprint(at.Elt) != "string" {
					return true
				}
				var args []string
				for _, e := range n.Elts {
					lit, ok := e.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						return true
					}
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						return true
					}
					args = append(args, s)
				}
				add(args)
				return false
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil || strings.ContainsAny(s, "%\n") {
					return true
				}
				s = strings.TrimSpace(s)
				if f := strings.Fields(s); len(f) >= 2 && (f[0] == "-A" || f[0] == "-I") {
					s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, f[0]), " "+f[1]))
				}
				if !strings.Contains(s, " ") {
					return true
				}
				if args, err := splitArgs(s); err == nil {
					add(args)
				}
			}
			return true
		})
	}
	return out
}

func goldenInputs(all []seedRule) []goldenInput {
	var out []goldenInput
	add := func(s seedRule, args []string) {
		out = append(out, goldenInput{s.fam, s.table, s.chain, args})
	}
	flat := func(gs [][]string) []string {
		var a []string
		for _, g := range gs {
			a = append(a, g...)
		}
		return a
	}
	byKey := map[string][][]string{}
	for _, s := range all {
		gs := goldenGroups(s.args)
		for i, k := range goldenKeys(gs) {
			if k != "" && !strings.HasPrefix(gs[i][0], "-m") && !strings.HasPrefix(gs[i][0], "-j") {
				byKey[k] = append(byKey[k], gs[i])
			}
		}
	}
	for k, v := range byKey {
		seen := map[string]bool{}
		var u [][]string
		for _, g := range v {
			j := strings.Join(g, "\x00")
			if !seen[j] {
				seen[j] = true
				u = append(u, g)
			}
		}
		byKey[k] = u
	}
	for _, s := range all {
		add(s, s.args)
		for _, pl := range goldenPlaces {
			for _, fam := range []Family{IPv4, IPv6} {
				out = append(out, goldenInput{fam, pl[0], pl[1], s.args})
			}
		}
		for k := 0; k < len(s.args); k++ {
			add(s, s.args[:k])
		}
		gs := goldenGroups(s.args)
		keys := goldenKeys(gs)
		for i, g := range gs {
			// repeat, invert, drop
			rep := slices.Clone(gs)
			rep = append(rep, g)
			add(s, flat(rep))
			ins := slices.Insert(slices.Clone(gs), i+1, g)
			add(s, flat(ins))
			if g[0] != "!" {
				inv := slices.Clone(gs)
				inv[i] = append([]string{"!"}, g...)
				add(s, flat(inv))
			}
			drop := slices.Delete(slices.Clone(gs), i, i+1)
			add(s, flat(drop))
			// values
			for j := 1; j < len(g); j++ {
				if g[j] == "!" {
					continue
				}
				for _, v := range goldenValues {
					ng := slices.Clone(g)
					ng[j] = v
					vs := slices.Clone(gs)
					vs[i] = ng
					add(s, flat(vs))
				}
			}
			// other options of the same extension, after and before
			if keys[i] != "" && (i+1 == len(gs) || keys[i+1] != keys[i]) {
				for _, o := range byKey[keys[i]] {
					a := slices.Insert(slices.Clone(gs), i+1, o)
					add(s, flat(a))
					// first option of this extension
					first := i
					for first > 0 && keys[first-1] == keys[i] {
						first--
					}
					b := slices.Insert(slices.Clone(gs), first+1, o)
					add(s, flat(b))
				}
			}
		}
		// protocol variants
		var noProto [][]string
		for _, g := range gs {
			tok := g[0]
			if tok == "!" && len(g) > 1 {
				tok = g[1]
			}
			if tok != "-p" && tok != "--protocol" {
				noProto = append(noProto, g)
			}
		}
		for _, p := range goldenProtos {
			add(s, append(slices.Clone(p), flat(noProto)...))
		}
	}
	return out
}

// goldenPayloads makes random payloads for every extension, and mutations
// of those the accepted seeds parse into, for the printers, the native
// encoder and the decoder.
func goldenPayloads(accepted []seedRule) []goldenPayloadInput {
	var out []goldenPayloadInput
	seen := map[*Extension][][]byte{}
	for _, s := range accepted {
		specs, err := Parse(s.fam, s.table, s.chain, s.args)
		if err != nil {
			continue
		}
		for _, sp := range specs {
			for _, m := range sp.Matches {
				seen[m.Ext] = append(seen[m.Ext], slices.Clone(m.Info))
			}
			if sp.Target != nil {
				seen[sp.Target.Ext] = append(seen[sp.Target.Ext], slices.Clone(sp.Target.Info))
			}
		}
	}
	var exts []*Extension
	for _, m := range []map[string][]*Extension{matches, targets} {
		var names []string
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			exts = append(exts, m[n]...)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, e := range exts {
		n := XTAlign(e.Size)
		var payloads [][]byte
		for i := 0; i < 150; i++ {
			p := make([]byte, n)
			for j := range p {
				p[j] = byte(r.Uint32())
			}
			payloads = append(payloads, p)
		}
		for i := 0; i < 150; i++ {
			p := make([]byte, n)
			for j := range p {
				switch r.IntN(6) {
				case 0:
					p[j] = 0xff
				case 1:
					p[j] = byte(r.IntN(4))
				case 2:
					p[j] = byte(r.Uint32())
				}
			}
			payloads = append(payloads, p)
		}
		for _, base := range seen[e] {
			payloads = append(payloads, base)
			for i := 0; i < 40; i++ {
				p := slices.Clone(base)
				for k := 0; k <= r.IntN(3); k++ {
					j := r.IntN(len(p))
					switch r.IntN(3) {
					case 0:
						p[j] = byte(r.Uint32())
					case 1:
						p[j] ^= 1 << r.IntN(8)
					case 2:
						p[j] = 0
					}
				}
				payloads = append(payloads, p)
			}
		}
		for _, fam := range []Family{IPv4, IPv6} {
			if e.Family&fam == 0 {
				continue
			}
			for _, p := range payloads {
				out = append(out, goldenPayloadInput{Target: e.Target, Name: e.Name, Fam: fam, Payload: hex.EncodeToString(p)})
			}
		}
	}
	return out
}
