package main

import (
	"fmt"

	"github.com/coreos/go-iptables/iptables"
)

// goiptablesPeer is github.com/coreos/go-iptables v0.8.0, which runs the
// iptables binary (iptables-nft 1.8.9 here) for every call.
var goiptablesPeer = &peer{name: "go-iptables", work: map[string]workFunc{
	workAppend: apiAppend(openGoiptables),
	workExists: apiExists(openGoiptables),
	workList:   apiList(openGoiptables),
}}

func openGoiptables() (goIptablesAPI, error) {
	ipt, err := iptables.New()
	if err != nil {
		return nil, fmt.Errorf("iptables.New: %w", err)
	}
	return ipt, nil
}
