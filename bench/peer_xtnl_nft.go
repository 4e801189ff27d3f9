package main

import (
	"fmt"
	"time"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/nft"
)

// xtnlNftPeer is xtnl's nft package: the very script the nft -f peer
// feeds nft (nftScript), compiled by nft.Compile and committed by
// Program.Apply on one xtnl.Conn, both on the clock, from the script's
// bytes to the kernel's answer, as nft -f parses and evaluates on its
// clock.
var xtnlNftPeer = &peer{name: "xtnl nft", ownFloor: nftFloorPeerName, versus: "nft -f", work: map[string]workFunc{
	workLoad: xtnlNftLoad,
}}

// xtnlNftApplyPeer is the same Program compiled before the clock starts
// and only its Apply timed: what xtnl nft costs beside compiling (copying
// the messages into the transaction's batch, sending it, reading the
// answer).
var xtnlNftApplyPeer = &peer{name: "xtnl nft apply", ownFloor: nftFloorPeerName, noSpeedup: true, work: map[string]workFunc{
	workLoad: xtnlNftApplyLoad,
}}

// nftFloorPeer is the kernel floor of the messages xtnl nft writes
// (nft's, not compat's, which the floor peer sends): the same Program
// compiled before the clock starts, its messages framed into one batch
// before it too, and the batch sent on the floor's bare socket, exactly
// as the floor peer sends its own.
var nftFloorPeer = &peer{name: nftFloorPeerName, noSpeedup: true, work: map[string]workFunc{
	workLoad: nftFloorLoad,
}}

const nftFloorPeerName = "nft floor"

// openXtnlConn opens a connection in the child's namespace, outside the
// clock, as the other peers' constructors are.
func openXtnlConn() (*xtnl.Conn, error) {
	c, err := xtnl.Open()
	if err != nil {
		return nil, fmt.Errorf("xtnl.Open: %w", err)
	}
	return c, nil
}

// compileNft compiles an nft script as `nft -f -` would read it: named
// /dev/stdin, the kernel asked about chains the script does not declare
// (this one declares all of its own), which is why it takes a Conn.
func compileNft(c *xtnl.Conn, script []byte) (*nft.Program, error) {
	var lookup nft.Lookup
	if c != nil {
		lookup = nft.ConnLookup(c)
	}
	prog, err := nft.Compile(string(script), nft.Options{File: "/dev/stdin", Lookup: lookup})
	if err != nil {
		return nil, fmt.Errorf("nft.Compile: %w", err)
	}
	return prog, nil
}

func xtnlNftLoad(size int) (map[string]time.Duration, error) {
	c, err := openXtnlConn()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	script := nftScript(size)
	return one(timed(func() error {
		prog, err := compileNft(c, script)
		if err != nil {
			return err
		}
		return prog.Apply(c)
	}))
}

func xtnlNftApplyLoad(size int) (map[string]time.Duration, error) {
	c, err := openXtnlConn()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	prog, err := compileNft(c, nftScript(size))
	if err != nil {
		return nil, err
	}
	return one(timed(func() error { return prog.Apply(c) }))
}

func nftFloorLoad(size int) (map[string]time.Duration, error) {
	// Compiled offline: the script declares every chain it uses, so the
	// compiler asks the kernel nothing.
	prog, err := compileNft(nil, nftScript(size))
	if err != nil {
		return nil, err
	}
	c, err := dialRaw()
	if err != nil {
		return nil, err
	}
	defer c.close()
	b := c.newBatch()
	for _, m := range prog.Messages {
		b.raw(m.Type, m.Flags, byte(m.Family), m.Attrs)
	}
	b.finish(c)
	if err := c.fit(len(b.b)); err != nil {
		return nil, err
	}
	prog = nil // only the batch stays in memory, as in the floor peer
	return one(timed(func() error { return c.commit(b) }))
}
