package main

import (
	"fmt"
	"time"

	"github.com/coreos/go-iptables/iptables"
)

// goiptablesPeer is github.com/coreos/go-iptables v0.8.0, which runs the
// iptables binary (iptables-nft 1.8.9 here) for every call.
var goiptablesPeer = &peer{name: "go-iptables", work: map[string]workFunc{
	workAppend: goiptablesAppend,
	workExists: goiptablesExists,
	workList:   goiptablesList,
}}

func newGoiptables() (*iptables.IPTables, error) {
	ipt, err := iptables.New()
	if err != nil {
		return nil, fmt.Errorf("iptables.New: %w", err)
	}
	return ipt, nil
}

func goiptablesAppend(int) (map[string]time.Duration, error) {
	ipt, err := newGoiptables()
	if err != nil {
		return nil, err
	}
	return timedAppends(func(i int) func() error {
		args := ruleArgs(i)
		return func() error { return ipt.Append(benchTable, benchChain, args...) }
	})
}

func goiptablesExists(size int) (map[string]time.Duration, error) {
	ipt, err := newGoiptables()
	if err != nil {
		return nil, err
	}
	out := map[string]time.Duration{}
	for _, v := range []string{varFirst, varAgain} {
		var ok bool
		d, err := timed(func() error {
			var err error
			ok, err = ipt.Exists(benchTable, benchChain, ruleArgs(size-1)...)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("exists: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("exists: rule %d not found", size-1)
		}
		out[v] = d
	}
	return out, nil
}

func goiptablesList(size int) (map[string]time.Duration, error) {
	ipt, err := newGoiptables()
	if err != nil {
		return nil, err
	}
	return listSequence(size, func() (int, error) {
		lines, err := ipt.List(benchTable, benchChain)
		return len(lines) - 1, err
	})
}
