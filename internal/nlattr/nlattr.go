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

// A Decoder iterates over one level of attributes. It allocates nothing
// (a value, it lives on its caller's stack) and what it returns shares the
// bytes it was given. Call Next before
// reading each attribute; once Next returns false, Err says whether the
// input was malformed.
//
// The zero Decoder holds no attributes.
type Decoder struct {
	in   []byte // all the attributes
	rest []byte // what follows the current attribute; after the end, what was left unread
	off  int    // where the current attribute starts in in
	end  int    // where its payload ends in in
	typ  uint16
	// short is set when a payload was too short for the integer read.
	short bool
}

// NewDecoder returns a Decoder over the attributes in b.
func NewDecoder(b []byte) Decoder { return Decoder{in: b, rest: b} }

// Next moves to the next attribute; it returns false at the end of the
// input or on a malformed attribute (see Err).
func (d *Decoder) Next() bool {
	typ, payload, size, ok := Split(d.rest)
	if !ok {
		// A malformed attribute stays in rest, for Err, and ends every
		// later call too.
		return false
	}
	d.off = len(d.in) - len(d.rest)
	d.end = d.off + headerLen + len(payload)
	d.typ = typ
	d.rest = d.rest[size:]
	return true
}

// Split reads the attribute at the start of b: its type as written (flags
// included), its payload, and how much of b it takes with its padding; ok
// is false when b does not start with a well-formed attribute (SplitError
// says why). It is the Decoder's step, for the loops that walk every
// attribute of every rule of a chain: it calls nothing and returns in
// registers, so once inlined it costs no more than the reads, where a
// Decoder's fields are stored at every step.
func Split(b []byte) (typ uint16, payload []byte, size int, ok bool) {
	if len(b) < headerLen {
		return 0, nil, 0, false
	}
	l := int(binary.NativeEndian.Uint16(b))
	if l < headerLen || l > len(b) {
		return 0, nil, 0, false
	}
	return binary.NativeEndian.Uint16(b[2:]), b[headerLen:l], min((l+3)&^3, len(b)), true
}

// SplitError says why Split refuses b: nil for empty input,
// ErrShortHeader or a *LengthError otherwise.
func SplitError(b []byte) error {
	switch {
	case len(b) == 0:
		return nil
	case len(b) < headerLen:
		return ErrShortHeader
	}
	if l := int(binary.NativeEndian.Uint16(b)); l < headerLen || l > len(b) {
		return &LengthError{Length: l}
	}
	return nil
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
func (d *Decoder) Bytes() []byte { return d.in[d.off+headerLen : d.end] }

// Attr is the current attribute as it lies in the input: header, payload
// and padding.
func (d *Decoder) Attr() []byte { return d.in[d.off : len(d.in)-len(d.rest)] }

// Offset is where the current attribute starts in the input.
func (d *Decoder) Offset() int { return d.off }

// String is the payload as a string, trailing NULs removed.
func (d *Decoder) String() string {
	b := d.Bytes()
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return string(b)
}

// Uint32 reads the payload's first four bytes as a big-endian integer; a
// shorter payload reads as 0 and stops the iteration with ErrShortValue.
func (d *Decoder) Uint32() uint32 {
	b := d.Bytes()
	if len(b) < 4 {
		d.short, d.rest = true, nil
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

// Uint64 reads the payload's first eight bytes as a big-endian integer; a
// shorter payload reads as 0 and stops the iteration with ErrShortValue.
func (d *Decoder) Uint64() uint64 {
	b := d.Bytes()
	if len(b) < 8 {
		d.short, d.rest = true, nil
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// Err is the error that ended the iteration, nil at the end of well-formed
// input. It is meant for after the loop: before Next returned false, the
// attributes not read yet count as left over.
func (d *Decoder) Err() error {
	if d.short {
		return ErrShortValue
	}
	return SplitError(d.rest)
}

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
