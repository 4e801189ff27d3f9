package expr

import (
	"bytes"
	"encoding/binary"
	"testing"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// kernelForm rewrites an encoding the way the kernel dumps it back: no
// NLA_F_NESTED flags (whatever their depth). Built here apart from key.go, so the
// key is checked against an independent rewriting.
func kernelForm(t testing.TB, b []byte) []byte {
	t.Helper()
	var out []byte
	d := nlattr.NewDecoder(b)
	for d.Next() {
		var at int
		out, at = nlattr.Begin(out, d.RawType()&^unix.NLA_F_NESTED)
		if d.Nested() {
			out = append(out, kernelForm(t, d.Bytes())...)
		} else {
			out = append(out, d.Bytes()...)
		}
		out = nlattr.End(out, at)
	}
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	return out
}

func key(b []byte) string { return string(AppendKey(nil, b)) }

func TestKeyIgnoresWhatTheKernelChanges(t *testing.T) {
	var rule []byte
	rule = AppendMeta(rule, nftexpr.MetaKeyL4PROTO, 1)
	rule = AppendCmp(rule, nftexpr.CmpOpEq, 1, []byte{6})
	rule = AppendBitwise(rule, 1, 1, 4, []byte{255, 255, 0, 0}, []byte{0, 0, 0, 0})
	rule = AppendCounter(rule, 0, 0)
	rule = AppendLog(rule, &nftexpr.Log{Key: 1<<unix.NFTA_LOG_GROUP | 1<<unix.NFTA_LOG_PREFIX, Group: 2, Data: []byte("p")})
	rule = AppendVerdict(rule, nftexpr.VerdictJump, "X")

	dumped := kernelForm(t, rule)
	if bytes.Equal(dumped, rule) {
		t.Fatal("the kernel's form should differ from the encoding")
	}
	if key(dumped) != key(rule) {
		t.Errorf("flags: keys differ")
	}

	counted := AppendCounter(nil, 1234, 5)
	if key(counted) != key(AppendCounter(nil, 0, 0)) {
		t.Error("counts: keys differ")
	}
	if key(counted) == key(nil) {
		t.Error("a counter's key must not vanish")
	}

	// The kernel's log: prefix first, then group.
	var log []byte
	log, d := beginElem(log, "log")
	log = nlattr.AppendString(log, unix.NFTA_LOG_PREFIX, "p")
	log = nlattr.AppendUint16(log, unix.NFTA_LOG_GROUP, 2)
	log = endElem(log, d)
	if key(log) != key(AppendLog(nil, &nftexpr.Log{Key: 1<<unix.NFTA_LOG_GROUP | 1<<unix.NFTA_LOG_PREFIX, Group: 2, Data: []byte("p")})) {
		t.Error("attribute order: keys differ")
	}

	bitwise := func(op uint32) []byte {
		b, d := beginElem(nil, "bitwise")
		b = nlattr.AppendUint32(b, unix.NFTA_BITWISE_SREG, 1)
		b = nlattr.AppendUint32(b, unix.NFTA_BITWISE_DREG, 1)
		b = nlattr.AppendUint32(b, unix.NFTA_BITWISE_LEN, 4)
		b = nlattr.AppendUint32(b, bitwiseOp, op)
		b = appendDataValue(b, unix.NFTA_BITWISE_MASK, []byte{255, 255, 0, 0})
		b = appendDataValue(b, unix.NFTA_BITWISE_XOR, []byte{0, 0, 0, 0})
		return endElem(b, d)
	}
	plain := AppendBitwise(nil, 1, 1, 4, []byte{255, 255, 0, 0}, []byte{0, 0, 0, 0})
	if key(bitwise(bitwiseBool)) != key(plain) {
		t.Error("default bitwise op: keys differ")
	}
	if key(bitwise(1)) == key(plain) {
		t.Error("a shift is not a mask")
	}

	limit := func(typ nftexpr.LimitType, burst uint32) []byte {
		return AppendLimit(nil, &nftexpr.Limit{Type: typ, Rate: 3, Unit: nftexpr.LimitTimeMinute, Burst: burst})
	}
	if key(limit(nftexpr.LimitTypePkts, 0)) != key(limit(nftexpr.LimitTypePkts, 5)) {
		t.Error("packet limit burst 0 is the kernel's 5")
	}
	if key(limit(nftexpr.LimitTypePktBytes, 0)) == key(limit(nftexpr.LimitTypePktBytes, 5)) {
		t.Error("a byte limit's burst 0 is not 5")
	}
}

func TestKeyTellsRulesApart(t *testing.T) {
	port := func(p uint16) []byte {
		b := AppendPayload(nil, nftexpr.PayloadBaseTransportHeader, 2, 2, 1)
		return AppendCmp(b, nftexpr.CmpOpEq, 1, binary.BigEndian.AppendUint16(nil, p))
	}
	if key(port(22)) == key(port(23)) {
		t.Error("different ports, same key")
	}
	if key(AppendVerdict(nil, nftexpr.VerdictAccept, "")) == key(AppendVerdict(nil, nftexpr.VerdictDrop, "")) {
		t.Error("different verdicts, same key")
	}
	if key(AppendMatch(nil, "comment", 0, []byte("a\x00\x00\x00"))) == key(AppendMatch(nil, "comment", 0, []byte("b\x00\x00\x00"))) {
		t.Error("different xt payloads, same key")
	}
	bad := []byte{200, 0, 1, 0, 1, 2}
	if got := AppendKey([]byte("x"), bad); string(got) != "x"+string(bad) {
		t.Errorf("ill-formed payload: key %x", got)
	}
}

func TestCounterOf(t *testing.T) {
	var b []byte
	b = AppendMeta(b, nftexpr.MetaKeyMARK, 1)
	if _, _, ok := CounterOf(b); ok {
		t.Fatal("a counter in a rule without one")
	}
	b = AppendCounter(b, 100, 2)
	b = AppendCounter(b, 7, 1) // the last one counts, as the decoders take it
	b = AppendVerdict(b, nftexpr.VerdictAccept, "")
	if p, by, ok := CounterOf(kernelForm(t, b)); !ok || p != 1 || by != 7 {
		t.Fatalf("CounterOf = %d %d %v, want 1 7 true", p, by, ok)
	}
}

// BenchmarkAppendKeyOfDump: the key of one dumped rule of the bench shape
// (-s ADDR -p tcp --dport P -j ACCEPT): what re-reading a chain costs per
// rule beyond the dump.
func BenchmarkAppendKeyOfDump(b *testing.B) {
	var rule []byte
	rule = AppendMeta(rule, nftexpr.MetaKeyL4PROTO, 1)
	rule = AppendCmp(rule, nftexpr.CmpOpEq, 1, []byte{6})
	rule = AppendPayload(rule, nftexpr.PayloadBaseNetworkHeader, 12, 4, 1)
	rule = AppendCmp(rule, nftexpr.CmpOpEq, 1, []byte{10, 0, 0, 1})
	rule = AppendPayload(rule, nftexpr.PayloadBaseTransportHeader, 2, 2, 1)
	rule = AppendCmp(rule, nftexpr.CmpOpEq, 1, []byte{0, 22})
	rule = AppendCounter(rule, 10, 1)
	rule = AppendVerdict(rule, nftexpr.VerdictAccept, "")
	dumped := kernelForm(b, rule)
	var buf []byte
	b.SetBytes(int64(len(dumped)))
	for b.Loop() {
		buf = AppendKey(buf[:0], dumped)
	}
}
