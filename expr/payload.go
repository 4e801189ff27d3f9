package expr

import (
	"encoding/binary"
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

var payloadBases = []string{"link", "network", "transport", "inner"}

// formatPayload prints "load 4b @ network header + 12 => reg 1 " or, for a
// payload write (a non-zero source register), "write reg 1 => 2b @
// transport header + 2 csum_type 1 csum_off 16 csum_flags 0x0 ".
func formatPayload(_ byte, a attrs) string {
	base := tableName(payloadBases, uint64(a.u32(unix.NFTA_PAYLOAD_BASE)))
	if sreg := a.u32(unix.NFTA_PAYLOAD_SREG); sreg != 0 {
		return fmt.Sprintf("write reg %d => %db @ %s header + %d csum_type %d csum_off %d csum_flags 0x%x ",
			sreg, a.u32(unix.NFTA_PAYLOAD_LEN), base, a.u32(unix.NFTA_PAYLOAD_OFFSET),
			a.u32(unix.NFTA_PAYLOAD_CSUM_TYPE), a.u32(unix.NFTA_PAYLOAD_CSUM_OFFSET), a.u32(unix.NFTA_PAYLOAD_CSUM_FLAGS))
	}
	return fmt.Sprintf("load %db @ %s header + %d => reg %d ",
		a.u32(unix.NFTA_PAYLOAD_LEN), base, a.u32(unix.NFTA_PAYLOAD_OFFSET), a.u32(unix.NFTA_PAYLOAD_DREG))
}

// PayloadLoad returns a payload expression that loads n bytes at offset
// from the given header base into register reg:
// "[ payload load nb @ base header + offset => reg reg ]".
func PayloadLoad(base nftexpr.PayloadBase, offset, n, reg uint32) *nftexpr.Payload {
	return &nftexpr.Payload{
		OperationType: nftexpr.PayloadLoad,
		DestRegister:  reg,
		Base:          base,
		Offset:        offset,
		Len:           n,
	}
}

// AppendPayload appends a payload load: [ payload load LEN b @ BASE
// header + OFFSET => reg DREG ].
func AppendPayload(b []byte, base nftexpr.PayloadBase, offset, length, dreg uint32) []byte {
	n := len(b)
	b = append(b, payloadLoad...)
	p := b[n:]
	binary.BigEndian.PutUint32(p[24:], dreg)
	binary.BigEndian.PutUint32(p[32:], uint32(base))
	binary.BigEndian.PutUint32(p[40:], offset)
	binary.BigEndian.PutUint32(p[48:], length)
	return b
}

func appendPayloadAttrs(b []byte, base nftexpr.PayloadBase, offset, length, dreg uint32) []byte {
	b, d := beginElem(b, "payload")
	b = nlattr.AppendUint32(b, unix.NFTA_PAYLOAD_DREG, dreg)
	b = nlattr.AppendUint32(b, unix.NFTA_PAYLOAD_BASE, uint32(base))
	b = nlattr.AppendUint32(b, unix.NFTA_PAYLOAD_OFFSET, offset)
	b = nlattr.AppendUint32(b, unix.NFTA_PAYLOAD_LEN, length)
	return endElem(b, d)
}

// payloadLoad is a payload load's template (see meta.go).
var payloadLoad = template(52, appendPayloadAttrs(nil, 0, 0, 0, 0))

// decodePayload is decodeFast for a payload load.
func decodePayload(at []fastAttr, dec *Decoder) (nftexpr.Any, bool) {
	dreg, ok1 := u32Of(at, unix.NFTA_PAYLOAD_DREG)
	base, ok2 := u32Of(at, unix.NFTA_PAYLOAD_BASE)
	off, ok3 := u32Of(at, unix.NFTA_PAYLOAD_OFFSET)
	l, ok4 := u32Of(at, unix.NFTA_PAYLOAD_LEN)
	if ok1 && ok2 && ok3 && ok4 && len(at) == 4 {
		p := dec.payload()
		*p = nftexpr.Payload{DestRegister: dreg, Base: nftexpr.PayloadBase(base), Offset: off, Len: l}
		return p, true
	}

	return nil, false
}

// payload is a Decoder allocator (decoder.go) for decodeFast.
func (d *Decoder) payload() *nftexpr.Payload {
	if d == nil {
		return new(nftexpr.Payload)
	}
	return slot(&d.payloads)
}
