package expr

import (
	"strings"
	"testing"
	"time"

	nftexpr "github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// FuzzUnmarshalList feeds arbitrary bytes as an NFTA_RULE_EXPRESSIONS
// payload, as a hostile or newer kernel (or another tool's rule) could
// hand them to us. Decoding must never panic or hang, must yield exactly
// one expression per list element (dropping one would make a rule look
// broader than it is), and whatever it yields must print and re-encode to
// something that decodes and prints the same.
func FuzzUnmarshalList(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed.fam, seed.b)
	}
	f.Fuzz(func(t *testing.T, fam byte, b []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			checkUnmarshalList(t, fam, b)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("UnmarshalList/Format of %d bytes did not return within 10s", len(b))
		}
	})
}

func checkUnmarshalList(t *testing.T, fam byte, b []byte) {
	// Any payload has a key, the same every time; a decodable one's key
	// is its own key (keys compare rules however they were written).
	k := AppendKey(nil, b)
	if again := AppendKey(nil, b); string(again) != string(k) {
		t.Fatalf("AppendKey is not deterministic")
	}
	exprs, err := UnmarshalList(fam, b)
	if err != nil {
		return
	}
	if kk := AppendKey(nil, k); string(kk) != string(k) {
		t.Fatalf("the key of a decodable payload is not its own key:\n%x\n%x", k, kk)
	}
	if n := listElems(b); n != len(exprs) {
		t.Fatalf("%d list elements decoded into %d expressions", n, len(exprs))
	}
	lines := FormatList(fam, exprs)
	// One bracketed entry per expression. (Not one line: names and
	// strings are printed raw, as libnftnl prints them, and a chain or
	// log prefix may hold a newline; testdata/fuzz/FuzzUnmarshalList/
	// ea26c3233129262d is an expression whose name holds one.)
	for i, e := range exprs {
		if e == nil {
			t.Fatalf("expression %d decoded as nil", i)
		}
		f := Format(fam, e)
		if !strings.HasPrefix(f, "[ ") || !strings.HasSuffix(f, "]") {
			t.Fatalf("expression %d formats as %q", i, f)
		}
	}
	// Re-encoding what we decoded says the same thing again: a rule read
	// back and written elsewhere (save/restore, a copy) is not altered.
	enc, err := AppendList(nil, fam, exprs)
	if err != nil {
		t.Fatalf("decoded expressions do not re-encode: %v", err)
	}
	again, err := UnmarshalList(fam, enc)
	if err != nil {
		t.Fatalf("re-encoded expressions do not decode: %v", err)
	}
	if got := FormatList(fam, again); got != lines {
		t.Fatalf("re-encoding changed the rule:\nbefore:\n%s\nafter:\n%s", lines, got)
	}
}

// listElems counts NFTA_LIST_ELEM attributes, independently of nlattr.
func listElems(b []byte) int {
	n := 0
	for len(b) >= 4 {
		l := int(b[0]) | int(b[1])<<8
		typ := (int(b[2]) | int(b[3])<<8) &^ unix.NLA_F_NESTED
		if l < 4 || l > len(b) {
			return -1
		}
		if typ == unix.NFTA_LIST_ELEM {
			n++
		}
		al := (l + 3) &^ 3
		if al > len(b) {
			al = len(b)
		}
		b = b[al:]
	}
	return n
}

type fuzzSeed struct {
	fam byte
	b   []byte
}

// fuzzSeeds encodes rules of the shapes iptables-nft and nft write, plus
// raw and unknown expressions.
func fuzzSeeds(tb testing.TB) []fuzzSeed {
	info := xt.Unknown(make([]byte, 40))
	rules := [][]Expr{
		{
			&nftexpr.Meta{Key: nftexpr.MetaKeyIIFNAME, Register: 1},
			&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte("eth0\x00")},
			&nftexpr.Meta{Key: nftexpr.MetaKeyL4PROTO, Register: 1},
			&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{6}},
			&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&nftexpr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{255, 255, 0, 0}, Xor: []byte{0, 0, 0, 0}},
			&nftexpr.Cmp{Op: nftexpr.CmpOpNeq, Register: 1, Data: []byte{10, 1, 0, 0}},
			&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&nftexpr.Range{Op: nftexpr.CmpOpEq, Register: 1, FromData: []byte{0, 22}, ToData: []byte{0, 80}},
			&nftexpr.Counter{Bytes: 5, Packets: 1},
			&nftexpr.Verdict{Kind: nftexpr.VerdictAccept},
		},
		{
			&nftexpr.Match{Name: "conntrack", Rev: 3, Info: &info},
			&nftexpr.Counter{},
			&nftexpr.Target{Name: "LOG", Rev: 0, Info: &info},
		},
		{
			&nftexpr.Ct{Key: nftexpr.CtKeySTATE, Register: 1},
			&nftexpr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{6, 0, 0, 0}, Xor: []byte{0, 0, 0, 0}},
			&nftexpr.Cmp{Op: nftexpr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}},
			&nftexpr.Limit{Type: nftexpr.LimitTypePkts, Rate: 10, Unit: nftexpr.LimitTimeSecond, Burst: 5},
			&nftexpr.Log{Key: 1 << unix.NFTA_LOG_PREFIX, Data: []byte("pfx ")},
			&nftexpr.Verdict{Kind: nftexpr.VerdictJump, Chain: "other"},
		},
		{
			&nftexpr.Lookup{SourceRegister: 1, SetName: "s", SetID: 1},
			&nftexpr.Immediate{Register: 1, Data: []byte{1, 2, 3, 4}},
			&nftexpr.NAT{Type: nftexpr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1},
			&nftexpr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: 3},
			&nftexpr.Quota{Bytes: 100, Over: true},
			&nftexpr.Masq{},
		},
		{
			&Raw{Name: "byteorder", Data: []byte{8, 0, 1, 0, 0, 0, 0, 1}},
			&Raw{Name: "unknown-expr", Data: []byte{8, 0, 1, 0, 1, 2, 3, 4}},
			&Raw{Name: "last"},
			&Raw{Name: "counter", Data: []byte{12, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 7, 12, 0, 99, 0, 1, 2, 3, 4, 5, 6, 7, 8}},
		},
		{
			&nftexpr.Dynset{SrcRegKey: 1, SetName: "d", Operation: 1, Exprs: []nftexpr.Any{&nftexpr.Counter{}}},
			&nftexpr.Exthdr{DestRegister: 1, Type: 2, Offset: 2, Len: 2, Op: nftexpr.ExthdrOpTcpopt},
			&nftexpr.Fib{Register: 1, ResultADDRTYPE: true, FlagDADDR: true},
			&nftexpr.Numgen{Register: 1, Modulus: 2, Type: 0},
			&nftexpr.Hash{SourceRegister: 1, DestRegister: 1, Length: 4, Modulus: 10},
			&nftexpr.Queue{Num: 3, Total: 2},
		},
	}
	var out []fuzzSeed
	for _, fam := range []byte{unix.NFPROTO_IPV4, unix.NFPROTO_IPV6, unix.NFPROTO_INET} {
		for _, r := range rules {
			b, err := AppendList(nil, fam, r)
			if err != nil {
				tb.Fatalf("seed: %v", err)
			}
			out = append(out, fuzzSeed{fam, b})
		}
	}
	// An element with an extra, unknown attribute, and a list with a
	// non-element attribute between elements.
	cnt, _ := Marshal(unix.NFPROTO_IPV4, &nftexpr.Counter{})
	extra := nlattr.AppendBytes(append([]byte(nil), cnt...), 9, []byte{1, 2, 3, 4})
	b := nlattr.AppendBytes(nil, unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, extra)
	b = nlattr.AppendBytes(b, 7, []byte{0})
	b = nlattr.AppendBytes(b, unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, cnt)
	out = append(out, fuzzSeed{unix.NFPROTO_IPV4, b}, fuzzSeed{unix.NFPROTO_IPV4, nil})
	return out
}
