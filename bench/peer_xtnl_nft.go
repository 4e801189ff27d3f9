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
var xtnlNftPeer = &peer{name: "xtnl nft", ownFloor: "xtnl nft floor", versus: "nft -f", work: map[string]workFunc{
	workLoad: xtnlNftLoad,
}}

// xtnlNftFloorPeer is xtnlNftPeer's own floor: the same Program compiled
// before the clock starts, and only its Apply timed, so that what the
// compiler adds shows against the kernel's cost of the very messages it
// writes (which are nft's, not compat's: the floor peer sends compat's).
var xtnlNftFloorPeer = &peer{name: "xtnl nft floor", isFloor: true, work: map[string]workFunc{
	workLoad: xtnlNftFloorLoad,
}}

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
// (this one declares all of its own).
func compileNft(c *xtnl.Conn, script []byte) (*nft.Program, error) {
	prog, err := nft.Compile(string(script), nft.Options{File: "/dev/stdin", Lookup: nft.ConnLookup(c)})
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

func xtnlNftFloorLoad(size int) (map[string]time.Duration, error) {
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
