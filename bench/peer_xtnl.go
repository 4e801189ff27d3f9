package main

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/xtnl/xtnl/compat"
)

// xtnlPeer is xtnl's compat package, the go-iptables drop-in, used the way
// an agent would: one IPTables for the life of the process.
var xtnlPeer = &peer{name: "xtnl", work: map[string]workFunc{
	workAppend:     xtnlAppend,
	workExists:     xtnlExists,
	workList:       xtnlList,
	workLoad:       xtnlLoad,
	workConcurrent: xtnlConcurrent,
}}

func newXtnl() (*compat.IPTables, error) {
	ipt, err := compat.New()
	if err != nil {
		return nil, fmt.Errorf("compat.New: %w", err)
	}
	return ipt, nil
}

func xtnlAppend(int) (map[string]time.Duration, error) {
	ipt, err := newXtnl()
	if err != nil {
		return nil, err
	}
	return timedAppends(func(i int) func() error {
		args := ruleArgs(i)
		return func() error { return ipt.Append(benchTable, benchChain, args...) }
	})
}

// xtnlExists asks for the chain's last rule, on a fresh IPTables and again.
func xtnlExists(size int) (map[string]time.Duration, error) {
	ipt, err := newXtnl()
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

func xtnlList(size int) (map[string]time.Duration, error) {
	ipt, err := newXtnl()
	if err != nil {
		return nil, err
	}
	return listSequence(size, func() (int, error) {
		lines, err := ipt.List(benchTable, benchChain)
		return len(lines) - 1, err // minus the "-N BENCH" line
	})
}

// xtnlLoad restores iptables-save text (parsing included) into an empty
// namespace.
func xtnlLoad(size int) (map[string]time.Duration, error) {
	ipt, err := newXtnl()
	if err != nil {
		return nil, err
	}
	text := saveText(size)
	return one(timed(func() error { return ipt.Restore(bytes.NewReader(text)) }))
}

// xtnlConcurrent: 100 goroutines, released together, each appending its
// own rule through the same IPTables; timed until the last returns.
func xtnlConcurrent(int) (map[string]time.Duration, error) {
	ipt, err := newXtnl()
	if err != nil {
		return nil, err
	}
	if _, err := ipt.ChainExists(benchTable, benchChain); err != nil { // open and warm the connection
		return nil, err
	}
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, concurrentN)
	for g := range concurrentN {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[g] = ipt.Append(benchTable, benchChain, ruleArgs(concurrentBase+g)...)
		}()
	}
	ready.Wait()
	d, _ := timed(func() error {
		close(start)
		done.Wait()
		return nil
	})
	for g, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("goroutine %d: %w", g, err)
		}
	}
	return one(d, nil)
}
