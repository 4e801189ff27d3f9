package compat

import (
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
)

func BenchmarkZZRestoreFake10k(b *testing.B) {
	ipt, err := New(WithConn(xtnl.OpenFake()))
	if err != nil {
		b.Fatal(err)
	}
	dump := benchDump(10_000)
	for b.Loop() {
		if err := ipt.Restore(strings.NewReader(dump)); err != nil {
			b.Fatal(err)
		}
	}
}
