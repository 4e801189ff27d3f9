package expr

import (
	"encoding/binary"
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// NFTA_COUNTER_* attribute types.
const (
	counterBytes   = unix.NFTA_COUNTER_BYTES
	counterPackets = unix.NFTA_COUNTER_PACKETS
)

// formatCounter prints "pkts 0 bytes 0 ".
func formatCounter(_ byte, a attrs) string {
	return fmt.Sprintf("pkts %d bytes %d ", a.u64(counterPackets), a.u64(counterBytes))
}

// AppendCounter appends [ counter pkts PACKETS bytes BYTES ].
func AppendCounter(b []byte, bytes, packets uint64) []byte {
	n := len(b)
	b = append(b, counter...)
	p := b[n:]
	binary.BigEndian.PutUint64(p[24:], bytes)
	binary.BigEndian.PutUint64(p[36:], packets)
	return b
}

func appendCounterAttrs(b []byte, bytes, packets uint64) []byte {
	b, d := beginElem(b, "counter")
	b = nlattr.AppendUint64(b, unix.NFTA_COUNTER_BYTES, bytes)
	b = nlattr.AppendUint64(b, unix.NFTA_COUNTER_PACKETS, packets)
	return endElem(b, d)
}

// counter is a counter's template (see meta.go).
var counter = template(44, appendCounterAttrs(nil, 0, 0))

// decodeCounter is decodeFast for a counter.
func decodeCounter(at []fastAttr, dec *Decoder) (nftexpr.Any, bool) {
	by, ok1 := u64Of(at, unix.NFTA_COUNTER_BYTES)
	pk, ok2 := u64Of(at, unix.NFTA_COUNTER_PACKETS)
	if ok1 && ok2 && len(at) == 2 {
		c := dec.counter()
		*c = nftexpr.Counter{Bytes: by, Packets: pk}
		return c, true
	}

	return nil, false
}

// counter is a Decoder allocator (decoder.go) for decodeFast.
func (d *Decoder) counter() *nftexpr.Counter {
	if d == nil {
		return new(nftexpr.Counter)
	}
	return slot(&d.counters)
}

// appendCounterKeyAttr is a counter's part of the comparison key (key.go):
// its counts are zeroed, two rules that counted differently being the same
// rule, and its padding attribute is left out.
func appendCounterKeyAttr(dst []byte, t uint16, payload []byte) ([]byte, bool) {
	switch t {
	case unix.NFTA_COUNTER_PAD:
		return dst, true
	case unix.NFTA_COUNTER_BYTES, unix.NFTA_COUNTER_PACKETS:
		var at int
		dst, at = nlattr.Begin(dst, t)
		for range payload {
			dst = append(dst, 0)
		}
		return nlattr.End(dst, at), true
	}
	return dst, false
}

// zeroCounts zeroes the counts of a counter's data, in place: the key of
// a counter the kernel dumped.
func zeroCounts(b []byte) {
	for len(b) > 0 {
		typ, payload, size, ok := nlattr.Split(b)
		if !ok {
			return
		}
		if typ == unix.NFTA_COUNTER_BYTES || typ == unix.NFTA_COUNTER_PACKETS {
			clear(payload)
		}
		b = b[size:]
	}
}
