package knft

import (
	"context"
	"fmt"

	"github.com/xtnl/xtnl/nft"
	"sigs.k8s.io/knftables"
)

// The List methods read the table over netlink (nft's printer for rule
// and element text) and answer as knftables' real backend does.

var listable = map[string]bool{"chain": true, "set": true, "map": true, "counter": true, "flowtable": true}

// ListAll is part of knftables.Interface.
func (n *NFTables) ListAll(ctx context.Context) (map[string][]string, error) {
	if err := n.needTable("ListAll"); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	names, err := nft.ObjectNames(n.conn, n.fam, n.table)
	if err != nil {
		return nil, wrap("failed to run nft: "+err.Error(), err)
	}
	out := map[string][]string{}
	for k, v := range names {
		if len(v) > 0 {
			out[k] = v
		}
	}
	return out, nil
}

// List is part of knftables.Interface: objectType is "chain", "set",
// "map", "counter" or "flowtable" (or their plurals).
func (n *NFTables) List(ctx context.Context, objectType string) ([]string, error) {
	if err := n.needTable("List"); err != nil {
		return nil, err
	}
	if objectType != "" && objectType[len(objectType)-1] == 's' {
		objectType = objectType[:len(objectType)-1]
	}
	if !listable[objectType] {
		return nil, fmt.Errorf("can't List() type %q", objectType)
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	names, err := nft.ObjectNames(n.conn, n.fam, n.table)
	if err != nil {
		return nil, wrap("failed to run nft: "+err.Error(), err)
	}
	return names[objectType], nil
}

// ListRules is part of knftables.Interface. As knftables' backend does,
// it fills Chain, Handle and Comment; Rule is left empty.
func (n *NFTables) ListRules(ctx context.Context, chain string) ([]*knftables.Rule, error) {
	if err := n.needTable("ListRules"); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	rules, err := nft.Rules(n.conn, n.fam, n.table, chain, nil)
	if err != nil {
		return nil, wrap("failed to run nft: "+err.Error(), err)
	}
	out := make([]*knftables.Rule, 0, len(rules))
	for _, r := range rules {
		kr := &knftables.Rule{Family: n.family, Table: n.table, Chain: r.Chain, Handle: knftables.PtrTo(int(r.Handle))}
		if r.Comment != "" {
			kr.Comment = knftables.PtrTo(r.Comment)
		}
		out = append(out, kr)
	}
	return out, nil
}

// ListElements is part of knftables.Interface.
func (n *NFTables) ListElements(ctx context.Context, objectType, name string) ([]*knftables.Element, error) {
	if err := n.needTable("ListElements"); err != nil {
		return nil, err
	}
	if objectType != "set" && objectType != "map" {
		return nil, fmt.Errorf("invalid objectType %q", objectType)
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	elems, isMap, err := nft.Elements(n.conn, n.fam, n.table, name, nil)
	if err == nil && isMap != (objectType == "map") {
		err = &nft.NotFoundError{What: objectType + " " + string(n.family) + " " + n.table + " " + name}
	}
	if err != nil {
		return nil, wrap("failed to run nft: "+err.Error(), err)
	}
	out := make([]*knftables.Element, 0, len(elems))
	for _, e := range elems {
		ke := &knftables.Element{Key: e.Key, Value: e.Value}
		if isMap {
			ke.Map = name
		} else {
			ke.Set = name
		}
		if e.Comment != "" {
			ke.Comment = knftables.PtrTo(e.Comment)
		}
		out = append(out, ke)
	}
	return out, nil
}

// ListCounters is part of knftables.Interface.
func (n *NFTables) ListCounters(ctx context.Context) ([]*knftables.Counter, error) {
	if err := n.needTable("ListCounters"); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	cs, err := nft.Counters(n.conn, n.fam, n.table)
	if err != nil {
		return nil, wrap("failed to run nft: "+err.Error(), err)
	}
	out := make([]*knftables.Counter, 0, len(cs))
	for _, c := range cs {
		kc := &knftables.Counter{Name: c.Name, Packets: knftables.PtrTo(c.Packets), Bytes: knftables.PtrTo(c.Bytes), Handle: knftables.PtrTo(int(c.Handle))}
		if c.Comment != "" {
			kc.Comment = knftables.PtrTo(c.Comment)
		}
		out = append(out, kc)
	}
	return out, nil
}
