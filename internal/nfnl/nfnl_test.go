package nfnl_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

func TestEncoderAndNextMessage(t *testing.T) {
	var e nfnl.Encoder
	for i, name := range []string{"filter", "nat"} {
		s := e.Begin(nfnl.Type(unix.NFT_MSG_NEWTABLE), unix.NLM_F_REQUEST, uint32(i+1), unix.NFPROTO_IPV4, 0)
		e.String(unix.NFTA_TABLE_NAME, name)
		n := e.Nest(6) // NFTA_TABLE_USERDATA
		e.Uint32(1, 7)
		e.EndNest(n)
		e.End(s)
	}
	var got []string
	for b := e.B; len(b) > 0; {
		msg, rest, ok := nfnl.NextMessage(b)
		if !ok {
			t.Fatalf("NextMessage refused % x", b)
		}
		seq := binary.NativeEndian.Uint32(msg[8:])
		d := nlattr.NewDecoder(msg[nfnl.HeaderLen+nfnl.GenMsgLen:])
		for d.Next() {
			if d.Type() == unix.NFTA_TABLE_NAME {
				got = append(got, fmt.Sprintf("%d:%s", seq, d.String()))
			}
		}
		b = rest
	}
	if fmt.Sprint(got) != "[1:filter 2:nat]" {
		t.Fatalf("got %v", got)
	}
	if _, _, ok := nfnl.NextMessage(e.B[:20]); ok {
		t.Fatal("NextMessage accepted a cut message")
	}
}
