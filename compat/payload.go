package compat

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// Payloads. Each extension reads its kernel structure (the xt "info"
// payload) into a Go struct named after it (tcpInfo for struct xt_tcp)
// with unmarshal, and writes it back with marshal, so that Parse, Save
// and Print name fields rather than byte offsets. Numbers in those
// structures are in the host's byte order (hostOrder), except addresses
// and the few fields the kernel keeps in network order (netOrder).
//
// The structs are held by value for the length of one call: a payload is
// a few bytes to a few hundred, copying it costs less than the heap
// allocation a pointer handed around would.

// hostOrder and netOrder are the byte orders of payload fields.
var (
	hostOrder = binary.NativeEndian
	netOrder  = binary.BigEndian
)

// cString reads a NUL-terminated string from a fixed-size field;
// cStringBytes is the field up to its first NUL byte.
func cString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

func cStringBytes(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// putCString copies s into a fixed-size C string field, cutting it to
// len(field)-1 bytes so the terminating NUL fits (xtables' XTOPT_PUT).
func putCString(field []byte, s string) {
	clear(field)
	if len(s) > len(field)-1 {
		s = s[:len(field)-1]
	}
	copy(field, s)
}

// allOnes16 is a 16-byte mask of ones (an address mask matching all bits).
var allOnes16 = [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// oneIf is 1 for true, 0 for false: a boolean as the kernel's u8 and int
// fields hold it.
func oneIf[T ~uint8 | ~uint32](b bool) T {
	if b {
		return 1
	}
	return 0
}

// invMark is "!" when set, "" otherwise (for -L texts).
func invMark(set bool) string {
	if set {
		return "!"
	}
	return ""
}

// markMaskInfo is the payload of the mark, connmark and realm matches
// (xt_mark_mtinfo1, xt_connmark_mtinfo1, xt_realm_info, one layout): a
// value, a mask and a negation.
type markMaskInfo struct {
	mark, mask uint32
	invert     uint8
}

func (m *markMaskInfo) unmarshal(b []byte) {
	m.mark, m.mask, m.invert = hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:]), b[8]
}

func (m *markMaskInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], m.mark)
	hostOrder.PutUint32(b[4:], m.mask)
	b[8] = m.invert
}

// parseMarkMaskInfo is the Parse of the three matches: the value and mask
// the engine read, and the negation.
func parseMarkMaskInfo(info []byte, c *OptionCall) error {
	m := markMaskInfo{mark: c.Val.Mark, mask: c.Val.Mask, invert: oneIf[uint8](c.Invert)}
	m.marshal(info)
	return nil
}

// payloadOf is a payload struct read and written in place (a pointer to U).
type payloadOf[U any] interface {
	*U
	unmarshal(b []byte)
	marshal(b []byte)
}

// parseInto is an extension's Parse for a payload that parses its own
// options: it reads the payload, lets parse change it, and writes it back.
func parseInto[U any, P payloadOf[U]](info []byte, parse func(p P) error) error {
	p := P(new(U))
	p.unmarshal(info)
	if err := parse(p); err != nil {
		return err
	}
	p.marshal(info)
	return nil
}
