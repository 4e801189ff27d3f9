package compat

// The golden harness: a refactoring of the parser, the extensions, the
// printers or the codecs must leave everything observable as it was. It
// records, for a large generated set of rulespecs (each corpus rule and
// iptables' own extension tests, with every option repeated, negated,
// dropped, moved, given other values, under every protocol and in every
// table), what Parse makes of it: the error (type and text), or each
// rule's payloads, -S line, -L lines, encoded expressions and what
// decoding those gives back; and for random and mutated payloads of every
// extension what the printers, Claims, the native encoder and the decoder
// make of them. It is skipped unless asked for:
//
//	XTNL_GOLDEN=write go test -run 'TestGolden$' ./compat   # before
//	XTNL_GOLDEN=check go test -run 'TestGolden$' ./compat   # after
//
// XTNL_GOLDEN=replay writes the results anew for the inputs already
// there: the baseline of another commit (a merged branch, say) on the
// same inputs.
//
// The inputs are written next to the results (XTNL_GOLDEN_FILE, default
// /tmp/xtnl-golden.gz, and its .inputs.gz): check replays those very
// inputs, so renaming a corpus file or adding a test does not move the
// baseline.

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/expr"
)

type goldenInput struct {
	fam          Family
	table, chain string
	args         []string
}

// goldenPayloadInput is one payload for goldenPayload: the extension by
// kind, name and family, the bytes in hex.
type goldenPayloadInput struct {
	Target  bool
	Name    string
	Fam     Family
	Payload string
}

// goldenRecord is one line of the inputs file.
type goldenRecord struct {
	Fam          Family              `json:",omitempty"`
	Table, Chain string              `json:",omitempty"`
	Args         []string            `json:",omitempty"`
	X            *goldenPayloadInput `json:",omitempty"`
}

func goldenParse(b *builder, in goldenInput) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "P %d %s %s %q => ", in.fam, in.table, in.chain, in.args)
	specs, err := b.parse(-1, in.fam, in.table, in.chain, in.args)
	if err != nil {
		fmt.Fprintf(&sb, "E %T %s", err, err)
		return sb.String()
	}
	for _, s := range specs {
		sb.WriteString(goldenSpec(s))
	}
	return sb.String()
}

func goldenSpec(s *Spec) string {
	var sb strings.Builder
	sb.WriteString("{" + s.Format(true) + "|" + s.listLine(1, ListOptions{Verbose: true, Numeric: true, Exact: true}) +
		"|" + s.listLine(1, ListOptions{}) + "|")
	for _, m := range s.Matches {
		sb.WriteString(m.Ext.Name + ":" + hex.EncodeToString(m.Info) + " ")
	}
	if s.Target != nil {
		sb.WriteString("T" + s.Target.Ext.Name + ":" + hex.EncodeToString(s.Target.Info))
	}
	b, err := s.appendExprs(nil)
	if err != nil {
		fmt.Fprintf(&sb, "|EE %T %s}", err, err)
		return sb.String()
	}
	sb.WriteString("|" + hex.EncodeToString(b))
	if s.Table != "" && s.Chain != "" {
		back, err := roundTrip(s)
		if err != nil {
			fmt.Fprintf(&sb, "|RT %T %s", err, err)
		} else {
			sb.WriteString("|" + back.Format(true) + "|" + back.listLine(1, ListOptions{Numeric: true}))
		}
	}
	sb.WriteString("}")
	return sb.String()
}

func goldenPayload(e *Extension, fam Family, p []byte) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "X %s %d %x => ", e, fam, p)
	in := &Instance{Ext: e, Info: slices.Clone(p)}
	s := &Spec{Family: fam, Table: "filter", Chain: "INPUT", nsFd: -1}
	if e.Target {
		s.Target = in
	} else {
		s.Matches = []*Instance{in}
	}
	func() {
		defer func() {
			if x := recover(); x != nil {
				fmt.Fprintf(&sb, "PANIC %v", x)
			}
		}()
		sb.WriteString(s.String() + "|" + s.listLine(1, ListOptions{Numeric: true}) + "|" + s.listLine(1, ListOptions{}))
		if e.Claims != nil {
			fmt.Fprintf(&sb, "|claims %v", e.Claims(in.Info))
		}
		for _, proto := range []uint8{0, 6, 17} {
			s.Proto = proto
			b, err := s.appendExprs(nil)
			if err != nil {
				fmt.Fprintf(&sb, "|EE %s", err)
			} else {
				sb.WriteString("|" + hex.EncodeToString(b))
			}
		}
		// As read from the kernel: through lookupKernel and Claims.
		raw := xtnl.Rule{Family: fam.xtnlFamily(), Table: "filter", Chain: "INPUT"}
		if e.Target {
			b := expr.AppendTarget(nil, e.KernelName, e.Revision, p)
			exprs, err := expr.UnmarshalList(byte(raw.Family), b)
			if err == nil {
				raw.Exprs = exprs
			}
		} else {
			b := expr.AppendMatch(nil, e.KernelName, e.Revision, p)
			exprs, err := expr.UnmarshalList(byte(raw.Family), b)
			if err == nil {
				raw.Exprs = exprs
			}
		}
		d, err := Decode(fam, &raw)
		if err != nil {
			fmt.Fprintf(&sb, "|DE %s", err)
		} else {
			sb.WriteString("|D " + d.String() + "|" + d.listLine(1, ListOptions{Numeric: true}))
		}
	}()
	return sb.String()
}

// goldenExtension finds the extension a payload input names.
func goldenExtension(x *goldenPayloadInput) *Extension {
	m := matches
	if x.Target {
		m = targets
	}
	return lookup(m, x.Name, x.Fam)
}

func TestGolden(t *testing.T) {
	mode := os.Getenv("XTNL_GOLDEN")
	if mode == "" {
		t.Skip("XTNL_GOLDEN not set")
	}
	path := os.Getenv("XTNL_GOLDEN_FILE")
	if path == "" {
		path = "/tmp/xtnl-golden.gz"
	}
	oldIdx, oldName := setIndexResolver, setNameResolver
	defer func() { setIndexResolver, setNameResolver = oldIdx, oldName }()
	setIndexResolver = func(ctx *ParseContext, name string) (uint16, error) {
		switch name {
		case "s4":
			if ctx.Family == IPv6 {
				return 0, badSpec(name, "The protocol family of set %s is not IPv6", name)
			}
			return 3, nil
		case "s6":
			return 4, nil
		}
		return 0, badSpec(name, "Set %s doesn't exist.", name)
	}
	setNameResolver = func(w *Writer, index uint16) (string, error) {
		switch index {
		case 3:
			return "s4", nil
		case 4:
			return "s6", nil
		}
		return "", fmt.Errorf("no set %d", index)
	}

	var records []goldenRecord
	switch mode {
	case "write":
		all, accepted := corpusSeeds(t)
		seeds := append(append(slices.Clone(all), goldenTests(t)...), goldenLiterals(t)...)
		for _, in := range goldenInputs(seeds) {
			records = append(records, goldenRecord{Fam: in.fam, Table: in.table, Chain: in.chain, Args: in.args})
		}
		for _, x := range goldenPayloads(accepted) {
			records = append(records, goldenRecord{X: &x})
		}
		writeGzipLines(t, path+".inputs.gz", func(w *bufio.Writer) {
			for _, r := range records {
				b, err := json.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				w.Write(append(b, '\n'))
			}
		})
	case "check", "replay":
		readGzipLines(t, path+".inputs.gz", func(line string) {
			var r goldenRecord
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			records = append(records, r)
		})
	default:
		t.Fatalf("XTNL_GOLDEN=%s: want write, replay or check", mode)
	}

	lines := make([]string, 0, len(records))
	emit := func(s string) { lines = append(lines, strings.NewReplacer("\n", "\\n", "\r", "\\r").Replace(s)) }
	var b builder
	nP, nX := 0, 0
	for _, r := range records {
		if r.X != nil {
			nX++
			e := goldenExtension(r.X)
			p, err := hex.DecodeString(r.X.Payload)
			if e == nil || err != nil {
				emit(fmt.Sprintf("X %+v => no such extension now", *r.X))
				continue
			}
			emit(goldenPayload(e, r.X.Fam, p))
			continue
		}
		nP++
		emit(goldenParse(&b, goldenInput{r.Fam, r.Table, r.Chain, r.Args}))
	}
	t.Logf("%d rulespecs, %d payloads, %d lines", nP, nX, len(lines))

	if mode != "check" {
		writeGzipLines(t, path, func(w *bufio.Writer) {
			for _, l := range lines {
				w.WriteString(l + "\n")
			}
		})
		return
	}
	i, bad := 0, 0
	readGzipLines(t, path, func(was string) {
		if i >= len(lines) {
			i++
			return
		}
		if now := lines[i]; was != now {
			bad++
			if bad <= 25 {
				k := 0
				for k < len(was) && k < len(now) && was[k] == now[k] {
					k++
				}
				t.Errorf("line %d differs at %d:\n was: %q\n now: %q\n input: %q", i+1, k,
					was[max(0, k-80):min(len(was), k+200)], now[max(0, k-80):min(len(now), k+200)], was[:min(len(was), 300)])
			}
		}
		i++
	})
	if i != len(lines) {
		t.Errorf("golden has %d lines, now %d", i, len(lines))
	}
	if bad > 0 {
		t.Errorf("%d of %d lines differ", bad, len(lines))
	}
}

func writeGzipLines(t *testing.T, path string, write func(*bufio.Writer)) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	w := bufio.NewWriter(zw)
	write(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readGzipLines(t *testing.T, path string, line func(string)) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}
