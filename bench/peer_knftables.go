package main

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/knftables"
)

// knftablesPeer is sigs.k8s.io/knftables (kube-proxy's nftables library):
// transactions rendered as an nft script and run with `nft -f -`.
var knftablesPeer = &peer{name: "knftables", work: map[string]workFunc{
	workAppend: knftablesAppend,
	workList:   knftablesList,
	workLoad:   knftablesLoad,
}}

func newKnftables() (knftables.Interface, error) {
	nft, err := knftables.New(knftables.IPv4Family, benchTable)
	if err != nil {
		return nil, fmt.Errorf("knftables.New: %w", err)
	}
	return nft, nil
}

func knftablesAppend(int) (map[string]time.Duration, error) {
	nft, err := newKnftables()
	if err != nil {
		return nil, err
	}
	return timedAppends(func(i int) func() error {
		rule := ruleNft(i)
		return func() error {
			tx := nft.NewTransaction()
			tx.Add(&knftables.Rule{Chain: benchChain, Rule: rule})
			return nft.Run(context.Background(), tx)
		}
	})
}

// knftablesList uses ListRules, which returns handles (not rule text).
func knftablesList(size int) (map[string]time.Duration, error) {
	nft, err := newKnftables()
	if err != nil {
		return nil, err
	}
	return listSequence(size, func() (int, error) {
		rules, err := nft.ListRules(context.Background(), benchChain)
		return len(rules), err
	})
}

// knftablesLoad builds the transaction (table, base chains, BENCH, rules)
// and runs it, both on the clock: building is part of the library's cost.
func knftablesLoad(size int) (map[string]time.Duration, error) {
	nft, err := newKnftables()
	if err != nil {
		return nil, err
	}
	return one(timed(func() error {
		tx := nft.NewTransaction()
		tx.Add(&knftables.Table{})
		filter, accept := knftables.FilterType, knftables.AcceptPolicy
		prio := knftables.FilterPriority
		for _, h := range []struct {
			name string
			hook knftables.BaseChainHook
		}{{"INPUT", knftables.InputHook}, {"FORWARD", knftables.ForwardHook}, {"OUTPUT", knftables.OutputHook}} {
			hook := h.hook
			tx.Add(&knftables.Chain{Name: h.name, Type: &filter, Hook: &hook, Priority: &prio, Policy: &accept})
		}
		tx.Add(&knftables.Chain{Name: benchChain})
		for i := range size {
			tx.Add(&knftables.Rule{Chain: benchChain, Rule: ruleNft(i)})
		}
		return nft.Run(context.Background(), tx)
	}))
}
