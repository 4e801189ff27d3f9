package compat

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// xtablesPrintNum is xtables_print_num (iptables/xshared.c) written with
// fmt, as its C printf formats read: the reference appendNum is held to.
func xtablesPrintNum(n uint64, o ListOptions, table bool) string {
	if o.Exact {
		if table {
			return fmt.Sprintf("%8d ", n)
		}
		return fmt.Sprintf("%d ", n)
	}
	if n <= 99999 {
		if table {
			return fmt.Sprintf("%5d ", n)
		}
		return fmt.Sprintf("%d ", n)
	}
	for _, unit := range []string{"K", "M", "G"} {
		n = (n + 500) / 1000
		if n <= 9999 {
			if table {
				return fmt.Sprintf("%4d%s ", n, unit)
			}
			return fmt.Sprintf("%d%s ", n, unit)
		}
	}
	n = (n + 500) / 1000
	if table {
		return fmt.Sprintf("%4dT ", n)
	}
	return fmt.Sprintf("%dT ", n)
}

func TestAppendNumMatchesXtablesPrintNum(t *testing.T) {
	values := []uint64{0, 1, 9, 99999, 100000, 9999499, 9999500, 10000000, 1 << 40, 1<<64 - 1}
	for range 10000 {
		values = append(values, rand.Uint64()>>rand.IntN(64))
	}
	for _, n := range values {
		for _, o := range []ListOptions{{}, {Exact: true}} {
			for _, table := range []bool{false, true} {
				if got, want := formatNum(n, o, table), xtablesPrintNum(n, o, table); got != want {
					t.Fatalf("formatNum(%d, exact %v, table %v) = %q, want %q", n, o.Exact, table, got, want)
				}
			}
		}
	}
}
