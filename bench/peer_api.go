package main

import (
	"fmt"
	"time"
)

// goIptablesAPI is what the append, exists and list workloads call:
// go-iptables' API, which xtnl's compat reproduces, so one workload
// serves both peers.
type goIptablesAPI interface {
	Append(table, chain string, rulespec ...string) error
	Exists(table, chain string, rulespec ...string) (bool, error)
	List(table, chain string) ([]string, error)
}

// apiAppend is the append workload through the API: one IPTables for the
// life of the process, the way an agent uses it.
func apiAppend(open func() (goIptablesAPI, error)) workFunc {
	return func(int) (map[string]time.Duration, error) {
		ipt, err := open()
		if err != nil {
			return nil, err
		}
		return timedAppends(func(i int) func() error {
			args := ruleArgs(i)
			return func() error { return ipt.Append(benchTable, benchChain, args...) }
		})
	}
}

// apiExists asks for the chain's last rule, on a fresh IPTables and again.
func apiExists(open func() (goIptablesAPI, error)) workFunc {
	return func(size int) (map[string]time.Duration, error) {
		ipt, err := open()
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
}

// apiList is the list sequence (listSequence) through the API.
func apiList(open func() (goIptablesAPI, error)) workFunc {
	return func(size int) (map[string]time.Duration, error) {
		ipt, err := open()
		if err != nil {
			return nil, err
		}
		return listSequence(size, func() (int, error) {
			lines, err := ipt.List(benchTable, benchChain)
			return len(lines) - 1, err // minus the "-N BENCH" line
		})
	}
}
