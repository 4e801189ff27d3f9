package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// floorPeer is the kernel's own cost, the physical limit for any library:
// the exact messages xtnl's compat writes, encoded before the clock starts
// and sent as one batch on a bare netlink socket whose send buffer is sized
// to fit, with no per-message ACK (only the batch end asks for one). For
// List it is a dump of the chain read 1 MiB at a time, not decoded.
var floorPeer = &peer{name: "floor", noSpeedup: true, work: map[string]workFunc{
	workAppend:     floorAppend,
	workList:       floorList,
	workLoad:       floorLoad,
	workConcurrent: floorConcurrent,
}}

// floorRules pre-encodes a batch appending rules first..first+n-1 to BENCH.
func floorRules(c *rawConn, first, n int) (*batch, error) {
	b := c.newBatch()
	for i := first; i < first+n; i++ {
		if err := b.appendRule(benchTable, benchChain, i); err != nil {
			return nil, err
		}
	}
	b.finish(c)
	return b, c.fit(len(b.b))
}

func floorAppend(int) (map[string]time.Duration, error) {
	c, err := dialRaw()
	if err != nil {
		return nil, err
	}
	defer c.close()
	// Every batch is encoded before the first is sent.
	batches := map[int]*batch{}
	for _, i := range appendRules() {
		if batches[i], err = floorRules(c, i, 1); err != nil {
			return nil, err
		}
	}
	return timedAppends(func(i int) func() error { return func() error { return c.commit(batches[i]) } })
}

func floorList(size int) (map[string]time.Duration, error) {
	c, err := dialRaw()
	if err != nil {
		return nil, err
	}
	defer c.close()
	return listSequence(size, func() (int, error) { return c.dumpRules(benchTable, benchChain) })
}

// floorLoad creates what iptables-nft-restore creates from saveText: table
// filter, its three base chains, BENCH and the rules, in one batch.
func floorLoad(size int) (map[string]time.Duration, error) {
	c, err := dialRaw()
	if err != nil {
		return nil, err
	}
	defer c.close()
	b := c.newBatch()
	b.addTable(benchTable)
	b.addChain(benchTable, "INPUT", unix.NF_INET_LOCAL_IN)
	b.addChain(benchTable, "FORWARD", unix.NF_INET_FORWARD)
	b.addChain(benchTable, "OUTPUT", unix.NF_INET_LOCAL_OUT)
	b.addChain(benchTable, benchChain, -1)
	for i := range size {
		if err := b.appendRule(benchTable, benchChain, i); err != nil {
			return nil, err
		}
	}
	b.finish(c)
	if err := c.fit(len(b.b)); err != nil {
		return nil, err
	}
	return one(timed(func() error { return c.commit(b) }))
}

// floorConcurrent is the least the kernel can do for 100 appends: all of
// them in one batch, one commit.
func floorConcurrent(int) (map[string]time.Duration, error) {
	c, err := dialRaw()
	if err != nil {
		return nil, err
	}
	defer c.close()
	b, err := floorRules(c, concurrentBase, concurrentN)
	if err != nil {
		return nil, err
	}
	return one(timed(func() error { return c.commit(b) }))
}
