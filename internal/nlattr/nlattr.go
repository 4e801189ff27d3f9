// Package nlattr reads and writes netlink attributes without allocating.
//
// It is the one attribute codec of xtnl: the engine's messages, the fake
// kernel and the expression encoders and decoders all go through it.
// mdlayher/netlink's AttributeDecoder and AttributeEncoder do the same job
// but allocate for every message, and xtnl reads and writes attributes on
// paths that run once per rule of chains of 100k rules.
//
// Integers are big-endian, as nf_tables carries them; lengths and types in
// headers are in host byte order, as netlink carries them.
package nlattr

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// headerLen is the size of an attribute header (struct nlattr).
const headerLen = 4

// typeMask strips NLA_F_NESTED and NLA_F_NET_BYTEORDER from a type.
const typeMask = 0x3fff

// ErrShortHeader is reported when fewer than four bytes are left where an
// attribute header should be.
var ErrShortHeader = errors.New("truncated attribute header")

// ErrShortValue is reported when an attribute is too short for the integer
// read from it.
var ErrShortValue = errors.New("attribute too short for its value")

// A LengthError is an attribute header whose length is below the header's
// own size or runs past the end of the input.
type LengthError struct {
	Length int
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("attribute length %d out of range", e.Length)
}

// A Decoder iterates over one level of attributes. It is a value with no
// pointer to the heap of its own, so a Decoder on the stack costs nothing;
// what it returns shares the bytes it was given. Call Next before reading
// each attribute; after an error Next returns false and Err says why.
//
// The zero Decoder holds no attributes.
type Decoder struct {
	in   []byte // all the attributes
	off  int    // offset of the current attribute in in
	next int    // offset of the attribute after it
	typ  uint16
	data []byte
	err  error
}

// NewDecoder returns a Decoder over the attributes in b.
func NewDecoder(b []byte) Decoder { return Decoder{in: b, off: -1} }

// Next moves to the next attribute; it returns false at the end of the
// input or on a malformed attribute (see Err).
func (d *Decoder) Next() bool {
	if d.err != nil || d.next >= len(d.in) {
		return false
	}
	b := d.in[d.next:]
	if len(b) < headerLen {
		d.err = ErrShortHeader
		return false
	}
	l := int(binary.NativeEndian.Uint16(b))
	if l < headerLen || l > len(b) {
		d.err = &LengthError{Length: l}
		return false
	}
	d.off = d.next
	d.typ = binary.NativeEndian.Uint16(b[2:])
	d.data = b[headerLen:l]
	d.next += min((l+3)&^3, len(b))
	return true
}

// Type is the current attribute's type without the NLA_F_NESTED and
// NLA_F_NET_BYTEORDER flags.
func (d *Decoder) Type() uint16 { return d.typ & typeMask }

// RawType is the current attribute's type as written, flags included.
func (d *Decoder) RawType() uint16 { return d.typ }

// Nested reports whether the current attribute is flagged NLA_F_NESTED.
// The kernel nests many attributes without the flag.
func (d *Decoder) Nested() bool { return d.typ&unix.NLA_F_NESTED != 0 }

// Bytes is the current attribute's payload, without padding.
func (d *Decoder) Bytes() []byte { return d.data }

// Attr is the current attribute as it lies in the input: header, payload
// and padding.
func (d *Decoder) Attr() []byte { return d.in[d.off:d.next] }

// Offset is where the current attribute starts in the input.
func (d *Decoder) Offset() int { return d.off }

// String is the payload as a string, trailing NULs removed.
func (d *Decoder) String() string {
	b := d.data
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return string(b)
}

// Uint32 reads the payload's first four bytes as a big-endian integer; a
// shorter payload reads as 0 and stops the iteration with ErrShortValue.
func (d *Decoder) Uint32() uint32 {
	if len(d.data) < 4 {
		d.err = ErrShortValue
		return 0
	}
	return binary.BigEndian.Uint32(d.data)
}

// Uint64 reads the payload's first eight bytes as a big-endian integer; a
// shorter payload reads as 0 and stops the iteration with ErrShortValue.
func (d *Decoder) Uint64() uint64 {
	if len(d.data) < 8 {
		d.err = ErrShortValue
		return 0
	}
	return binary.BigEndian.Uint64(d.data)
}

// Err is the error that ended the iteration, nil at the end of well-formed
// input.
func (d *Decoder) Err() error { return d.err }

// Begin appends the header of an attribute whose payload follows and
// returns where it starts, for End to write its length. A nested attribute
// is opened with typ|unix.NLA_F_NESTED.
func Begin(b []byte, typ uint16) (out []byte, start int) {
	start = len(b)
	b = binary.NativeEndian.AppendUint16(b, 0)
	return binary.NativeEndian.AppendUint16(b, typ), start
}

// End writes the length of the attribute Begin opened at start, then pads
// it to four bytes.
func End(b []byte, start int) []byte {
	binary.NativeEndian.PutUint16(b[start:], uint16(len(b)-start))
	return Pad(b)
}

// Pad appends zeros up to the next multiple of four bytes.
func Pad(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// AppendBytes appends an attribute holding data.
func AppendBytes(b []byte, typ uint16, data []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(headerLen+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	return Pad(b)
}

// AppendString appends an attribute holding s and its terminating NUL.
func AppendString(b []byte, typ uint16, s string) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(headerLen+len(s)+1))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, s...)
	b = append(b, 0)
	return Pad(b)
}

// AppendUint16 appends an attribute holding v big-endian (and two bytes of
// padding).
func AppendUint16(b []byte, typ uint16, v uint16) []byte {
	b = binary.NativeEndian.AppendUint16(b, headerLen+2)
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, v)
	return append(b, 0, 0)
}

// AppendUint32 appends an attribute holding v big-endian.
func AppendUint32(b []byte, typ uint16, v uint32) []byte {
	b = binary.NativeEndian.AppendUint16(b, headerLen+4)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return binary.BigEndian.AppendUint32(b, v)
}

// AppendUint64 appends an attribute holding v big-endian.
func AppendUint64(b []byte, typ uint16, v uint64) []byte {
	b = binary.NativeEndian.AppendUint16(b, headerLen+8)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return binary.BigEndian.AppendUint64(b, v)
}
