package compat

import "strings"

// PrintRule is the rule as iptables -v prints it when it appends,
// inserts, replaces, deletes or checks one (iptables' FMT_PRINT_RULE:
// numeric, no counters, interfaces shown, no column alignment), without
// the trailing newline:
//
//	DROP  tcp opt -- in * out *  10.0.0.1  -> 0.0.0.0/0   tcp dpt:22
func (s *Spec) PrintRule() string {
	var b strings.Builder
	target := s.Verdict
	if s.Target != nil {
		// The rule is printed as read back from what is sent: -j
		// NOTRACK is CT.
		target = s.Target.Ext.KernelName
	}
	b.WriteString(target + " ")
	b.WriteByte(invChar(s.InvProto, ' '))
	b.WriteString(s.listProto(false) + " opt ")
	b.WriteByte(invChar(s.InvFrag, '-'))
	if s.Frag {
		b.WriteString("f ")
	} else {
		b.WriteString("- ")
	}
	iface := func(name string, inv bool) string {
		if name == "" || name == "+" && !inv {
			// iptables prints the rule it sends as read back, where
			// "-i +" is no interface.
			name = "*"
		}
		if inv {
			name = "!" + name
		}
		return name
	}
	b.WriteString("in " + iface(s.InIface, s.InvIn) + " out " + iface(s.OutIface, s.InvOut) + " ")
	b.WriteByte(invChar(s.InvSrc, ' '))
	b.WriteString(s.listAddr(s.Src, true) + " ")
	b.WriteByte(invChar(s.InvDst, ' '))
	b.WriteString("-> " + s.listAddr(s.Dst, true) + "  ")
	s.listOptions(&b, true)
	return b.String()
}
