package expr

import (
	"bytes"
	"testing"

	nftexpr "github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// The fast encoders must produce exactly google/nftables' bytes.
func TestFastEncodingMatchesGeneral(t *testing.T) {
	info := xt.Unknown([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	odd := xt.Unknown([]byte{9, 9, 9})
	cases := []Expr{
		&nftexpr.Meta{Key: nftexpr.MetaKeyL4PROTO, Register: 1},
		&nftexpr.Meta{Key: nftexpr.MetaKeyMARK, SourceRegister: true, Register: 1},
		&nftexpr.Cmp{Op: nftexpr.CmpOpNeq, Register: 1, Data: []byte{6}},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte("eth0\x00")},
		&nftexpr.Cmp{Op: nftexpr.CmpOpLte, Register: 1, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&nftexpr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 2, Mask: []byte{0x1f, 0xff}, Xor: []byte{0, 0}},
		&nftexpr.Counter{Bytes: 100, Packets: 5},
		&nftexpr.Verdict{Kind: nftexpr.VerdictAccept},
		&nftexpr.Verdict{Kind: nftexpr.VerdictJump, Chain: "SOME-CHAIN"},
		&nftexpr.Verdict{Kind: nftexpr.VerdictGoto, Chain: "abc"},
		&nftexpr.Match{Name: "conntrack", Rev: 3, Info: &info},
		&nftexpr.Target{Name: "REJECT", Rev: 0, Info: &odd},
		&nftexpr.Limit{Type: nftexpr.LimitTypePkts, Rate: 3, Unit: nftexpr.LimitTimeMinute, Burst: 5},
		&nftexpr.Limit{Type: nftexpr.LimitTypePktBytes, Rate: 1 << 40, Unit: nftexpr.LimitTimeSecond, Over: true},
		&nftexpr.Log{Key: 1 << unix.NFTA_LOG_GROUP, Group: 7},
		&nftexpr.Log{Key: 1<<unix.NFTA_LOG_GROUP | 1<<unix.NFTA_LOG_PREFIX | 1<<unix.NFTA_LOG_SNAPLEN | 1<<unix.NFTA_LOG_QTHRESHOLD,
			Group: 65535, Data: []byte("abc"), Snaplen: 128, QThreshold: 9},
		&nftexpr.Log{Key: 1 << unix.NFTA_LOG_PREFIX, Data: []byte("four")},
		&nftexpr.Range{Op: nftexpr.CmpOpNeq, Register: 1, FromData: []byte{0, 22}, ToData: []byte{0, 80}},
		&nftexpr.Range{Op: nftexpr.CmpOpEq, FromData: []byte{1}},
	}
	for _, e := range cases {
		fast, ok := appendFast(nil, e)
		if !ok {
			t.Fatalf("%T: no fast path", e)
		}
		data, err := Marshal(unix.NFPROTO_IPV4, e)
		if err != nil {
			t.Fatal(err)
		}
		want := nlattr.AppendBytes(nil, unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, data)
		if !bytes.Equal(fast, want) {
			t.Errorf("%T %+v:\n fast %x\n want %x", e, e, fast, want)
		}
	}
	if _, ok := appendFast(nil, &nftexpr.Payload{OperationType: nftexpr.PayloadWrite}); ok {
		t.Error("payload write must take the general path")
	}
	if _, ok := appendFast(nil, &nftexpr.Log{Key: 1 << unix.NFTA_LOG_LEVEL}); ok {
		t.Error("a log level must take the general path")
	}
}

// Whatever the fast decoder accepts re-encodes to the same attributes.
func TestFastDecodeRoundTrip(t *testing.T) {
	info := xt.Unknown([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	for _, e := range []Expr{
		&nftexpr.Meta{Key: nftexpr.MetaKeyIIFNAME, Register: 1},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{10, 0, 0, 1}},
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&nftexpr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{0xff, 0, 0, 0}, Xor: []byte{0, 0, 0, 0}},
		&nftexpr.Counter{Bytes: 1, Packets: 2},
		&nftexpr.Verdict{Kind: nftexpr.VerdictDrop},
		&nftexpr.Verdict{Kind: nftexpr.VerdictJump, Chain: "X"},
		&nftexpr.Match{Name: "comment", Rev: 0, Info: &info},
	} {
		elem, _ := appendFast(nil, e)
		got, err := UnmarshalList(unix.NFPROTO_IPV4, elem)
		if err != nil || len(got) != 1 {
			t.Fatalf("%T: %v %v", e, got, err)
		}
		back, _ := appendFast(nil, got[0])
		if !bytes.Equal(back, elem) {
			t.Errorf("%T: round trip changed bytes:\n%x\n%x", e, elem, back)
		}
	}
}
