package compat

import (
	"bytes"
	"fmt"
	"testing"
)

// One builder parses and encodes rule after rule in its reused memory;
// what it makes of each corpus spec must be what a fresh parse makes of
// it, whatever came before (twice through the corpus, so every spec
// follows another). It once was not: an extension's record of the
// options given stayed behind for the next rule, and "-m multiport
// --dports" refused its own first --dports.
func TestBuilderReuseIsClean(t *testing.T) {
	cases := loadCorpus(t)
	var b builder
	for round := range 2 {
		for _, c := range cases {
			fresh, ferr := freshEncoding(c)
			reused, rerr := builderEncoding(&b, c)
			if fmt.Sprint(ferr) != fmt.Sprint(rerr) {
				t.Fatalf("round %d, %s:%d %q: error %v, fresh parse %v", round, c.file, c.line, c.text, rerr, ferr)
			}
			if len(fresh) != len(reused) {
				t.Fatalf("round %d, %s:%d %q: %d rules, fresh parse %d", round, c.file, c.line, c.text, len(reused), len(fresh))
			}
			for i := range fresh {
				if !bytes.Equal(fresh[i], reused[i]) {
					t.Fatalf("round %d, %s:%d %q: rule %d encoded differently after reuse", round, c.file, c.line, c.text, i)
				}
			}
		}
	}
}

func freshEncoding(c corpusCase) ([][]byte, error) {
	var b builder
	return builderEncoding(&b, c)
}

func builderEncoding(b *builder, c corpusCase) ([][]byte, error) {
	specs, err := b.parse(-1, c.fam, c.table, c.chain, c.args)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, s := range specs {
		r, err := b.encode(s)
		if err != nil {
			return nil, err
		}
		out = append(out, bytes.Clone(r.Exprs))
	}
	return out, nil
}
