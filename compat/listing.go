package compat

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/xtnl/xtnl/internal/sysfile"
)

// ListOptions are `iptables -L`'s output flags.
type ListOptions struct {
	Verbose     bool // -v: counters and interfaces
	Numeric     bool // -n: numbers, not names
	Exact       bool // -x: exact counters, not 12K
	LineNumbers bool // --line-numbers
}

// ListTable writes a chain ("" for every chain of the table) as
// `iptables -L` prints it.
func (ipt *IPTables) ListTable(w io.Writer, table, chain string, o ListOptions) error {
	ipt, held, err := ipt.bind()
	if err != nil {
		return err
	}
	defer ipt.release(held)
	// Every rule of the table is read: the references to a chain are
	// counted in all of them (the rules jumping or going to it, as
	// iptables counts them; the kernel's use count counts more). The
	// text is written once all of it decoded: a rule with no iptables
	// form makes iptables-nft refuse the listing whole.
	var (
		body    textChunks // the rules' lines, chain after chain
		line    Writer     // one rule's line, in the last one's memory
		starts  []int      // where each chain's lines start in body
		refs    map[string]int
		pending []string // the jumps counted in the chain being read
		last    int      // the chain being read
		num     int      // its rules so far
	)
	flush := func() {
		for _, v := range pending {
			refs[v]++
		}
		pending = pending[:0]
	}
	t, err := ipt.streamTable(table, o.Verbose, tableStream{
		head: func(t *tableView) error {
			if chain != "" && t.chain(chain) == nil {
				return notFound(errNoChain)
			}
			body.Reset()
			starts, refs, pending, last = starts[:0], map[string]int{}, pending[:0], -1
			return nil
		},
		begin: func(i int, _ *chainView) {
			if i == last {
				body.Truncate(starts[i])
				pending = pending[:0]
			} else {
				flush()
				starts, last = append(starts, body.Len()), i
			}
			num = 0
		},
		rule: func(_ int, c *chainView, s *Spec) error {
			num++
			if s.Verdict != "" && !isStandardVerdict(s.Verdict) {
				pending = append(pending, s.Verdict)
			}
			if chain == "" || c.name == chain {
				line.reuse()
				line.nsFd, line.hasNS = s.nsFd, true
				s.writeListLine(&line, num, o)
				line.WriteByte('\n')
				body.Write(line.buf)
			}
			return nil
		},
	})
	if err != nil {
		return incompatible(err, table, chain)
	}
	flush()
	starts = append(starts, body.Len())
	size := 0
	for i, c := range t.chains {
		if chain == "" || c.name == chain {
			size += starts[i+1] - starts[i] + 256 // a header is a few lines
		}
	}
	growFor(w, size)
	bw := bufio.NewWriter(w)
	first := true
	for i, c := range t.chains {
		if chain != "" && c.name != chain {
			continue
		}
		if !first {
			bw.WriteString("\n")
		}
		first = false
		writeChainHeader(bw, c, refs[c.name], o)
		body.WriteRange(bw, starts[i], starts[i+1])
	}
	return bw.Flush()
}

// formatNum prints a counter as xtables_print_num does.
func formatNum(n uint64, o ListOptions, table bool) string {
	return string(appendNum(nil, n, o, table))
}

// appendNum appends formatNum's text: in a table (the rule lines) right
// aligned, on 8 columns with -x, else on 5 with a unit past 99999.
func appendNum(b []byte, n uint64, o ListOptions, table bool) []byte {
	width := 0
	if table {
		width = 5
	}
	at := b
	switch {
	case o.Exact:
		if table {
			width = 8
		}
		b = strconv.AppendUint(b, n, 10)
	case n <= 99999:
		b = strconv.AppendUint(b, n, 10)
	default:
		unit := byte('T')
		for _, u := range []byte("KMG") {
			n = (n + 500) / 1000
			if n <= 9999 {
				unit = u
				break
			}
		}
		if unit == 'T' {
			n = (n + 500) / 1000
		}
		b = append(strconv.AppendUint(b, n, 10), unit)
	}
	return append(appendPadded(at, b, width, true), ' ')
}

func writeChainHeader(w *bufio.Writer, c *chainView, refs int, o ListOptions) {
	w.WriteString("Chain " + c.name)
	if c.builtin {
		w.WriteString(" (policy " + c.policy)
		if o.Verbose {
			w.WriteString(" " + formatNum(c.counters.Packets, o, false) + "packets, " + formatNum(c.counters.Bytes, o, false) + "bytes")
		}
		w.WriteString(")\n")
	} else {
		fmt.Fprintf(w, " (%d references)\n", refs)
	}
	if o.LineNumbers {
		fmt.Fprintf(w, "%-4s ", "num")
	}
	if o.Verbose {
		if o.Exact {
			fmt.Fprintf(w, "%8s %10s ", "pkts", "bytes")
		} else {
			fmt.Fprintf(w, "%5s %5s ", "pkts", "bytes")
		}
	}
	fmt.Fprintf(w, "%-9s  prot opt", "target")
	if o.Verbose {
		fmt.Fprintf(w, " %-6s %-6s ", "in", "out")
	}
	fmt.Fprintf(w, " %-19s  %-19s \n", "source", "destination")
}

// listLine is one rule as iptables -L prints it.
func (s *Spec) listLine(num int, o ListOptions) string {
	w := s.writer()
	s.writeListLine(w, num, o)
	return w.String()
}

// writeListLine writes listLine into w, an empty Writer for s (ListTable
// reuses one for every rule of a table).
func (s *Spec) writeListLine(w *Writer, num int, o ListOptions) {
	w.Grow(lineSizeHint + 64)
	b := w.buf
	if o.LineNumbers {
		b = appendPadded(b, strconv.AppendInt(b, int64(num), 10), 4, false)
		b = append(b, ' ')
	}
	if o.Verbose {
		var cnt Counters
		if s.Counters != nil {
			cnt = *s.Counters
		}
		b = appendNum(b, cnt.Packets, o, true)
		b = appendNum(b, cnt.Bytes, o, true)
	}
	target := s.Verdict
	if s.Target != nil {
		// The kernel's name: -j NOTRACK lists as CT (only -S uses the
		// alias).
		target = s.Target.Ext.KernelName
	}
	b = appendPadded(b, append(b, target...), 9, false)
	b = append(b, ' ', invChar(s.InvProto, ' '))
	b = appendPadded(b, append(b, s.listProto(o.Numeric)...), 4, false)
	b = append(b, ' ', invChar(s.InvFrag, '-'))
	if s.Frag {
		b = append(b, "f "...)
	} else {
		b = append(b, "- "...)
	}
	if o.Verbose {
		any := "any"
		if o.Numeric {
			any = "*"
		}
		iface := func(b []byte, name string, inv bool) []byte {
			if name == "" || name == "+" && !inv {
				// "-i +" is written as a bare load iptables-nft reads
				// back as no interface at all.
				name = any
			}
			at := b
			if inv {
				b = append(b, '!')
			}
			return append(appendPadded(at, append(b, name...), 6, false), ' ')
		}
		b = append(b, ' ')
		b = iface(b, s.InIface, s.InvIn)
		b = iface(b, s.OutIface, s.InvOut)
	}
	b = append(b, invChar(s.InvSrc, ' '))
	b = append(appendPadded(b, append(b, s.listAddr(s.Src, o.Numeric)...), 19, false), ' ')
	b = append(b, invChar(s.InvDst, ' '))
	b = append(appendPadded(b, append(b, s.listAddr(s.Dst, o.Numeric)...), 19, false), ' ')
	w.buf = b
	if s.Goto {
		w.WriteString("[goto] ")
	}
	s.listExtensions(w, o.Numeric)
}

// appendPadded pads what was appended to at (b is at with it appended)
// with spaces to width, on the right (as %-Ns) or, with left, on the left
// (as %Ns).
func appendPadded(at, b []byte, width int, left bool) []byte {
	n := len(b) - len(at)
	if n >= width {
		return b
	}
	for range width - n {
		b = append(b, ' ')
	}
	if left {
		field := b[len(at):]
		copy(field[width-n:], field[:n])
		for i := range width - n {
			field[i] = ' '
		}
	}
	return b
}

// listOptions writes the end of a -L line, and of the line -v prints for
// a rule it changes (PrintRule): "[goto] " for a goto, then what the
// matches and the target show.
func (s *Spec) listOptions(b *strings.Builder, numeric bool) {
	if s.Goto {
		b.WriteString("[goto] ")
	}
	w := s.writer()
	s.listExtensions(w, numeric)
	b.WriteString(w.String())
}

// listExtensions writes what the matches and the target show in -L.
func (s *Spec) listExtensions(w *Writer, numeric bool) {
	w.numeric = numeric
	w.proto = ""
	if !numeric && s.Proto != 0 {
		// Ports print as the rule's protocol's service names
		// (multiport's, as getservbyport(port, proto) in iptables).
		w.proto, _ = protoName(s.Proto)
	}
	for _, m := range s.Matches {
		printInstance(m, w)
	}
	if s.Target != nil {
		printInstance(s.Target, w)
	}
}

func invChar(inv bool, otherwise byte) byte {
	if inv {
		return '!'
	}
	return otherwise
}

func (s *Spec) listProto(numeric bool) string {
	if numeric {
		return strconv.Itoa(int(s.Proto))
	}
	if s.Proto == 0 {
		return "all"
	}
	return formatProto(s.Proto)
}

// listAddr prints an address as -L does: "anywhere" for /0 without -n,
// host or network names from /etc/hosts and /etc/networks without -n (no
// DNS), the mask only when it is not all ones.
func (s *Spec) listAddr(a Addr, numeric bool) string {
	l := s.Family.addrLen()
	if !numeric {
		// IPv4 says "anywhere" for a /0 mask, IPv6 for the address ::
		// whatever its mask (ipv4_addr_to_string, ipv6_addr_to_string).
		if s.Family == IPv6 && a.IP == (Addr{}).IP || s.Family != IPv6 && a.isZero(s.Family) {
			return "anywhere"
		}
	}
	name := ipString(a.IP[:l])
	if !numeric {
		if n, ok := hostName(name); ok {
			name = n
		}
	}
	p := a.prefixLen(s.Family)
	switch {
	case p == 8*l:
		return name
	case p < 0:
		return name + "/" + ipString(a.Mask[:l])
	}
	return name + "/" + strconv.Itoa(p)
}

var (
	hostsOnce sync.Once
	hostNames map[string]string
)

// hostName looks an address up in /etc/hosts, then /etc/networks.
func hostName(addr string) (string, bool) {
	hostsOnce.Do(func() {
		hostNames = map[string]string{}
		for _, file := range []string{"/etc/hosts", "/etc/networks"} {
			b, err := sysfile.ReadFile(file)
			if err != nil {
				continue
			}
			eachNetdbLine(string(b), func(f []string) {
				if len(f) < 2 {
					return
				}
				ip, name := f[0], f[1]
				if file == "/etc/networks" {
					ip, name = f[1], f[0]
				}
				if a, err := netip.ParseAddr(ip); err == nil {
					if _, seen := hostNames[a.String()]; !seen {
						hostNames[a.String()] = name
					}
				}
			})
		}
	})
	n, ok := hostNames[addr]
	return n, ok
}
