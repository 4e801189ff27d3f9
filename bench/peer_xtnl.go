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
	workAppend:     apiAppend(openXtnl),
	workExists:     apiExists(openXtnl),
	workList:       apiList(openXtnl),
	workLoad:       xtnlLoad,
	workConcurrent: xtnlConcurrent,
}}

func openXtnl() (goIptablesAPI, error) { return newXtnl() }

func newXtnl() (*compat.IPTables, error) {
	ipt, err := compat.New()
	if err != nil {
		return nil, fmt.Errorf("compat.New: %w", err)
	}
	return ipt, nil
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
