package compat

import (
	"fmt"
	"math"
	"math/bits"
)

// CLASSIFY: -j CLASSIFY --set-class MAJOR:MINOR (struct
// xt_classify_target_info, 4 bytes → 8): u32 priority, TC_H_MAKE(major<<16,
// minor). Both halves are read as sscanf's %x (so "1:-1" is 1:ffff and
// "12345:1x" is 2345:1). -S prints "%.4x:%.4x", -L "CLASSIFY set %x:%x".
// The kernel allows it only in the OUTPUT, FORWARD and POSTROUTING hooks,
// in any table: elsewhere the rule goes to the kernel, which refuses it,
// as iptables-nft lets it.

type classifyInfo struct{ priority uint32 }

func (c *classifyInfo) unmarshal(b []byte) { c.priority = hostOrder.Uint32(b) }
func (c *classifyInfo) marshal(b []byte)   { hostOrder.PutUint32(b, c.priority) }

const classifyOptSetClass = 0

func init() {
	Register(&Extension{
		Name: "CLASSIFY", Target: true, Revision: 0, Size: 4,
		Options: []Option{
			{Name: "set-class", ID: classifyOptSetClass, Type: TypeString, Flags: Mandatory},
		},
		Parse: func(info []byte, c *OptionCall) error {
			major, rest, ok := scanHex(c.Arg())
			var minor uint32
			if ok && rest != "" && rest[0] == ':' {
				minor, _, ok = scanHex(rest[1:])
			} else {
				ok = false
			}
			if !ok {
				return badSpec(c.Arg(), "Bad class value \"%s\"", c.Arg())
			}
			cl := classifyInfo{priority: major<<16 | minor&0xffff}
			cl.marshal(info)
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var cl classifyInfo
			cl.unmarshal(info)
			fmt.Fprintf(w, " --set-class %.4x:%.4x", cl.priority>>16, cl.priority&0xffff)
		},
		Print: func(info []byte, w *Writer) {
			var cl classifyInfo
			cl.unmarshal(info)
			fmt.Fprintf(w, " CLASSIFY set %x:%x", cl.priority>>16, cl.priority&0xffff)
		},
	})
}

// scanHex reads a number at the start of s as glibc's sscanf "%x" into an
// unsigned int: leading blanks, a sign (a '-' negating modulo 2^64), an
// optional 0x (taken even when no hex digit follows: "0x" alone is 0),
// then hex digits, an overflow giving all ones; the value is cut to 32
// bits. rest is what follows; ok is false when no number was read.
func scanHex(s string) (v uint32, rest string, ok bool) {
	i, neg := skipSpaceSign(s)
	read := false
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		i += 2
		read = true
	}
	var n uint64
	over := false
	for ; i < len(s) && digitValue(s[i]) < 16; i++ {
		hi, lo := bits.Mul64(n, 16)
		sum, carry := bits.Add64(lo, digitValue(s[i]), 0)
		if hi != 0 || carry != 0 {
			over = true
		}
		n = sum
		read = true
	}
	if !read {
		return 0, s, false
	}
	switch {
	case over:
		n = math.MaxUint64
	case neg:
		n = -n
	}
	return uint32(n), s[i:], true
}
