package expr

import (
	"reflect"
	"testing"

	nftexpr "github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"golang.org/x/sys/unix"
)

// A Decoder's lists are UnmarshalList's, list after list, whatever the
// lists before them held: longer or shorter, other kinds of expressions,
// expressions of the general path (*Raw, typed).
func TestDecoderMatchesUnmarshalList(t *testing.T) {
	info := xt.Unknown([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	lists := [][]Expr{
		{
			&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&nftexpr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{255, 255, 0, 0}, Xor: []byte{0, 0, 0, 0}},
			&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{10, 1, 0, 0}},
			&nftexpr.Meta{Key: nftexpr.MetaKeyL4PROTO, Register: 1},
			&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{6}},
			&nftexpr.Match{Name: "conntrack", Rev: 3, Info: &info},
			&nftexpr.Counter{Bytes: 100, Packets: 5},
			&nftexpr.Verdict{Kind: nftexpr.VerdictJump, Chain: "SOME-CHAIN"},
		},
		{
			&nftexpr.Meta{Key: nftexpr.MetaKeyIIFNAME, Register: 1},
			&nftexpr.Cmp{Op: nftexpr.CmpOpNeq, Register: 1, Data: []byte("eth0\x00")},
			&nftexpr.Counter{},
			&nftexpr.Target{Name: "REJECT", Info: &info},
		},
		{
			&nftexpr.Limit{Type: nftexpr.LimitTypePkts, Rate: 3, Unit: nftexpr.LimitTimeMinute, Burst: 5},
			&nftexpr.Log{Key: 1<<unix.NFTA_LOG_GROUP | 1<<unix.NFTA_LOG_PREFIX, Group: 2, Data: []byte("p")},
			&nftexpr.Verdict{Kind: nftexpr.VerdictGoto, Chain: "OTHER"},
		},
		{},
	}
	var encoded [][]byte
	var want [][]Expr
	for _, l := range lists {
		b, err := AppendList(nil, unix.NFPROTO_IPV4, l)
		if err != nil {
			t.Fatal(err)
		}
		w, err := UnmarshalList(unix.NFPROTO_IPV4, b)
		if err != nil {
			t.Fatal(err)
		}
		encoded, want = append(encoded, b), append(want, w)
	}
	var d Decoder
	for round := range 3 {
		for i, b := range encoded {
			got, err := d.UnmarshalList(unix.NFPROTO_IPV4, b)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want[i]) {
				t.Fatalf("round %d list %d: %d expressions, want %d", round, i, len(got), len(want[i]))
			}
			for k := range got {
				if !reflect.DeepEqual(got[k], want[i][k]) {
					t.Fatalf("round %d list %d expression %d: %#v, want %#v", round, i, k, got[k], want[i][k])
				}
			}
		}
	}
	if _, err := d.UnmarshalList(unix.NFPROTO_IPV4, []byte{8, 0, 1}); err == nil {
		t.Fatal("a truncated list decoded without error")
	}
	if got, err := d.UnmarshalList(unix.NFPROTO_IPV4, encoded[1]); err != nil || len(got) != len(want[1]) {
		t.Fatalf("after an error: %d expressions, %v", len(got), err)
	}
}

// Decoding a rule again and again through a Decoder allocates nothing
// once its memory has grown to the rule.
func TestDecoderReusesItsMemory(t *testing.T) {
	info := xt.Unknown([]byte{1, 2, 3, 4})
	b, err := AppendList(nil, unix.NFPROTO_IPV4, []Expr{
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{10, 1, 0, 0}},
		&nftexpr.Match{Name: "tcp", Info: &info},
		&nftexpr.Counter{},
		&nftexpr.Verdict{Kind: nftexpr.VerdictJump, Chain: "X"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var d Decoder
	if _, err := d.UnmarshalList(unix.NFPROTO_IPV4, b); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { d.UnmarshalList(unix.NFPROTO_IPV4, b) }); n != 0 {
		t.Fatalf("%v allocations per list", n)
	}
}
