package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// nftPeer is the nft binary fed a script on standard input, the rules
// written in nft syntax (the same matches, counter and verdict).
var nftPeer = &peer{name: "nft -f", work: map[string]workFunc{
	workAppend: nftAppend,
	workList:   nftList,
	workLoad:   nftLoad,
}}

func nftAppendScript(i int) []byte {
	return []byte("add rule ip filter BENCH " + ruleNft(i) + "\n")
}

func nftAppend(int) (map[string]time.Duration, error) {
	scripts := map[int][]byte{}
	for _, i := range appendRules() {
		scripts[i] = nftAppendScript(i)
	}
	return timedAppends(func(i int) func() error {
		return func() error { return runStdin(scripts[i], "nft", "-f", "-") }
	})
}

// nftList prints the chain (`nft list chain`) and counts its rules in the
// text, the least a caller of nft must do with it.
func nftList(size int) (map[string]time.Duration, error) {
	return listSequence(size, func() (int, error) {
		var out, errb bytes.Buffer
		cmd := exec.Command("nft", "list", "chain", "ip", benchTable, benchChain)
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("nft list chain: %w: %s", err, bytes.TrimSpace(errb.Bytes()))
		}
		return strings.Count(out.String(), " accept\n"), nil
	})
}

func nftLoad(size int) (map[string]time.Duration, error) {
	script := nftScript(size)
	return one(timed(func() error { return runStdin(script, "nft", "-f", "-") }))
}
