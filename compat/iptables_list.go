package compat

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/xtnl/xtnl/internal/prefault"
)

// List returns the chain as `iptables -S CHAIN` prints it: "-P CHAIN
// POLICY" or "-N CHAIN", then its rules. An empty chain name lists the
// whole table.
func (ipt *IPTables) List(table, chain string) ([]string, error) {
	ipt, held, err := ipt.bind()
	if err != nil {
		return nil, err
	}
	defer ipt.release(held)
	return ipt.list(table, chain, false)
}

// ListWithCounters is List with counters, as `iptables -v -S` prints them.
func (ipt *IPTables) ListWithCounters(table, chain string) ([]string, error) {
	ipt, held, err := ipt.bind()
	if err != nil {
		return nil, err
	}
	defer ipt.release(held)
	return ipt.list(table, chain, true)
}

func (ipt *IPTables) list(table, chain string, counters bool) ([]string, error) {
	r, err := ipt.rulesetAt(table, chain, counters)
	if err != nil {
		return nil, wrapErr(err)
	}
	var rules [][]string // each chain's
	total := len(r.chains)
	for _, snap := range r.snaps {
		if snap == nil {
			continue
		}
		var lines []string
		if !counters {
			if lines, err = snap.sLines(); err != nil {
				return nil, incompatible(err, table, chain)
			}
		} else {
			lines = make([]string, len(snap.rules))
			for i := range snap.rules {
				s, err := snap.spec(i)
				if err != nil {
					return nil, incompatible(err, table, chain)
				}
				lines[i] = s.Format(true)
			}
		}
		rules = append(rules, lines)
		total += len(lines)
	}
	out := prefault.Slice(make([]string, 0, total))
	for _, c := range r.chains {
		out = append(out, c.headerLine(counters))
	}
	for _, lines := range rules {
		out = append(out, lines...)
	}
	return out, nil
}

// ListById returns rule number id (1-based) of the chain, as
// `iptables -S CHAIN ID` prints it.
func (ipt *IPTables) ListById(table, chain string, id int) (string, error) {
	ipt, held, err := ipt.bind()
	if err != nil {
		return "", err
	}
	defer ipt.release(held)
	if id < 1 {
		return "", errRuleNumber(id)
	}
	lines, err := ipt.List(table, chain)
	if err != nil {
		return "", err
	}
	if id >= len(lines) {
		return "", notFound("Index of rule too big.")
	}
	return lines[id], nil
}

// Stat is one rule's line of `iptables -L -n -v -x`, parsed.
type Stat struct {
	Packets     uint64     `json:"pkts"`
	Bytes       uint64     `json:"bytes"`
	Target      string     `json:"target"`
	Protocol    string     `json:"prot"`
	Opt         string     `json:"opt"`
	Input       string     `json:"in"`
	Output      string     `json:"out"`
	Source      *net.IPNet `json:"source"`
	Destination *net.IPNet `json:"destination"`
	Options     string     `json:"options"`
}

// Negated reports which addresses of a Stats row are negated ("! -s",
// "! -d": shown with a leading '!'), which Stat cannot say: it is exactly
// go-iptables' ten fields, so that its unkeyed literals compile.
func Negated(stat []string) (source, destination bool) {
	if len(stat) < 9 {
		return false, false
	}
	return strings.HasPrefix(stat[7], "!"), strings.HasPrefix(stat[8], "!")
}

// Stats returns the chain's rules as the ten fields of
// `iptables -L CHAIN -n -v -x`: pkts, bytes, target, prot, opt, in, out,
// source, destination, options. Addresses carry their prefix (/32, /128
// included), as go-iptables gives them.
func (ipt *IPTables) Stats(table, chain string) ([][]string, error) {
	ipt, held, err := ipt.bind()
	if err != nil {
		return nil, err
	}
	defer ipt.release(held)
	snap, err := ipt.chainRead(table, chain, true)
	if err != nil {
		return nil, wrapErr(err)
	}
	if !snap.exists {
		return nil, notFound(errNoChain)
	}
	rows := [][]string{}
	for i := range snap.rules {
		s, err := snap.spec(i)
		if err != nil {
			return nil, incompatible(err, table, chain)
		}
		rows = append(rows, s.statFields())
	}
	return rows, nil
}

// statFields renders a rule as iptables -L -n -v -x's columns.
func (s *Spec) statFields() []string {
	var cnt Counters
	if s.Counters != nil {
		cnt = *s.Counters
	}
	target := s.Verdict
	if s.Target != nil {
		target = s.Target.Ext.KernelName // as -L prints it: CT for NOTRACK
	}
	prot := strconv.Itoa(int(s.Proto))
	if s.InvProto {
		prot = "!" + prot
	}
	opt := "--"
	if s.Frag {
		opt = "-f"
		if s.InvFrag {
			opt = "!f"
		}
	}
	iface := func(name string, inv bool) string {
		if name == "" || name == "+" && !inv {
			return "*" // "-i +" is read back as no interface
		}
		if inv {
			return "!" + name
		}
		return name
	}
	addr := func(a Addr, inv bool) string {
		l := s.Family.addrLen()
		p := a.prefixLen(s.Family)
		str := ipString(a.IP[:l])
		switch {
		case p < 0:
			str += "/" + ipString(a.Mask[:l])
		default:
			str += "/" + strconv.Itoa(p)
		}
		if inv {
			str = "!" + str
		}
		return str
	}
	w := s.writer()
	w.numeric = true // -n: "dpt:22", never a service name
	for _, m := range s.Matches {
		printInstance(m, w)
	}
	if s.Target != nil {
		printInstance(s.Target, w)
	}
	if s.Goto {
		w.WriteString(" [goto]")
	}
	return []string{
		strconv.FormatUint(cnt.Packets, 10), strconv.FormatUint(cnt.Bytes, 10), target, prot, opt,
		iface(s.InIface, s.InvIn), iface(s.OutIface, s.InvOut),
		addr(s.Src, s.InvSrc), addr(s.Dst, s.InvDst),
		strings.Join(strings.Fields(w.String()), " "),
	}
}

// printInstance writes an extension's -L text; extensions without a
// Print show their -S options instead.
func printInstance(in *Instance, w *Writer) {
	if in.Ext.Print != nil {
		in.Ext.Print(in.Info, w)
		return
	}
	w.WriteString(" " + in.Ext.Name)
	if in.Ext.Save != nil {
		in.Ext.Save(in.Info, w)
	}
}

// ParseStat parses one row of Stats. Negated addresses ("!10.0.0.0/8") are
// understood (go-iptables #109); Negated tells them.
func (ipt *IPTables) ParseStat(stat []string) (parsed Stat, err error) {
	if len(stat) < 10 {
		return parsed, fmt.Errorf("stat contained fewer fields than expected")
	}
	if parsed.Packets, err = strconv.ParseUint(stat[0], 0, 64); err != nil {
		return parsed, fmt.Errorf("could not parse packets: %w", err)
	}
	if parsed.Bytes, err = strconv.ParseUint(stat[1], 0, 64); err != nil {
		return parsed, fmt.Errorf("could not parse bytes: %w", err)
	}
	src, _ := strings.CutPrefix(stat[7], "!")
	if _, parsed.Source, err = net.ParseCIDR(src); err != nil {
		return parsed, fmt.Errorf("could not parse source: %w", err)
	}
	dst, _ := strings.CutPrefix(stat[8], "!")
	if _, parsed.Destination, err = net.ParseCIDR(dst); err != nil {
		return parsed, fmt.Errorf("could not parse destination: %w", err)
	}
	parsed.Target = stat[2]
	parsed.Protocol = stat[3]
	parsed.Opt = stat[4]
	parsed.Input = stat[5]
	parsed.Output = stat[6]
	parsed.Options = stat[9]
	return parsed, nil
}

// StructuredStats is Stats, parsed.
func (ipt *IPTables) StructuredStats(table, chain string) ([]Stat, error) {
	ipt, held, err := ipt.bind()
	if err != nil {
		return nil, err
	}
	defer ipt.release(held)
	rows, err := ipt.Stats(table, chain)
	if err != nil {
		return nil, err
	}
	out := []Stat{}
	for _, row := range rows {
		st, err := ipt.ParseStat(row)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// incompatible is iptables-nft's refusal to list a chain holding a rule
// with no iptables form (one nft wrote): "chain `X' in table `T' is
// incompatible, use 'nft' tool.", or for a whole table (chain ""), the
// table's; exit status 1. The cause stays reachable (ErrNotIptables).
func incompatible(err error, table, chain string) error {
	if !errors.Is(err, ErrNotIptables) {
		return wrapErr(err)
	}
	what := "table `" + table + "'"
	if chain != "" {
		what = "chain `" + chain + "' in " + what
	}
	return &Error{msg: "iptables v1.8.9 (nf_tables): " + what + " is incompatible, use 'nft' tool.", exitStatus: exitOtherProblem, cause: err}
}
