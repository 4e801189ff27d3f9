package nft

import (
	"errors"
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// fakeLookup answers the compiler's questions about a kernel ruleset
// holding the sets in sets (by name).
type fakeLookup struct{ sets map[string]SetDesc }

func (fakeLookup) ChainHook(xtnl.Family, string, string) (string, bool) { return "input", true }

func (l fakeLookup) Set(_ xtnl.Family, _, name string) (SetDesc, bool) {
	d, ok := l.sets[name]
	return d, ok
}

func mustCompile(t *testing.T, src string, o Options) *Program {
	t.Helper()
	p, err := Compile(src, o)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return p
}

// ruleExprs decodes the expressions of a NEWRULE message.
func ruleExprs(m Message) []kExpr {
	var out []kExpr
	for _, el := range parseAttrs(attrsOf(m.Attrs)[unix.NFTA_RULE_EXPRESSIONS]) {
		out = append(out, parseKExpr(el.data))
	}
	return out
}

func msgOps(p *Program) string {
	var ops []string
	for _, m := range p.Messages {
		ops = append(ops, m.Op+" "+m.Object)
	}
	return strings.Join(ops, "; ")
}

func TestMeterDeclaresItsSet(t *testing.T) {
	p := mustCompile(t, "add rule ip t c meter m size 10 { ip saddr timeout 30s counter }", Options{})
	if got, want := msgOps(p), "add set ip t m; add rule ip t c"; got != want {
		t.Fatalf("messages %q, want %q", got, want)
	}
	set := attrsOf(p.Messages[0].Attrs)
	if f := set.u32(unix.NFTA_SET_FLAGS); f != setAnonymous|setEval|setTimeout {
		t.Errorf("meter set flags %#x", f)
	}
	if n := attrsOf(set[unix.NFTA_SET_DESC]).u32(unix.NFTA_SET_DESC_SIZE); n != 10 {
		t.Errorf("meter set size %d, want 10", n)
	}
	ex := ruleExprs(p.Messages[1])
	last := ex[len(ex)-1]
	if last.name != "dynset" || last.a.u32(unix.NFTA_DYNSET_OP) != unix.NFT_DYNSET_OP_UPDATE || last.a.u64(unix.NFTA_DYNSET_TIMEOUT) != 30000 {
		t.Fatalf("last expression %s op %d timeout %d", last.name, last.a.u32(unix.NFTA_DYNSET_OP), last.a.u64(unix.NFTA_DYNSET_TIMEOUT))
	}
	if inner := dynsetExprs(last.a); len(inner) != 1 || inner[0].name != "counter" {
		t.Fatalf("dynset expressions %v", inner)
	}
}

func TestSetStatementNeedsNoDeclaration(t *testing.T) {
	p := mustCompile(t, "add rule ip t c update @s { ip saddr . tcp dport timeout 5s }", Options{})
	if got := msgOps(p); got != "add rule ip t c" {
		t.Fatalf("messages %q", got)
	}
}

func TestCatchallElement(t *testing.T) {
	p := mustCompile(t, "add rule ip t c ip saddr vmap { 1.1.1.1 : drop, * : accept }", Options{})
	if got, want := msgOps(p), "add set ip t __map%d; add element ip t __map%d; add rule ip t c"; got != want {
		t.Fatalf("messages %q, want %q", got, want)
	}
	elems := parseAttrs(attrsOf(p.Messages[1].Attrs)[unix.NFTA_SET_ELEM_LIST_ELEMENTS])
	if len(elems) != 2 {
		t.Fatalf("%d elements, want 2", len(elems))
	}
	last := attrsOf(elems[1].data)
	if last.u32(unix.NFTA_SET_ELEM_FLAGS) != elemCatchall || last.has(unix.NFTA_SET_ELEM_KEY) {
		t.Fatalf("catch-all element flags %d, key present %v", last.u32(unix.NFTA_SET_ELEM_FLAGS), last.has(unix.NFTA_SET_ELEM_KEY))
	}
}

func TestConcatenationWithRanges(t *testing.T) {
	p := mustCompile(t, "add rule inet t c ip daddr . tcp dport { 10.0.0.0/8 . 10-23 } accept", Options{})
	set := attrsOf(p.Messages[0].Attrs)
	if f := set.u32(unix.NFTA_SET_FLAGS); f&(setInterval|setConcat) != setInterval|setConcat {
		t.Fatalf("set flags %#x lack interval|concat", f)
	}
	el := attrsOf(parseAttrs(attrsOf(p.Messages[1].Attrs)[unix.NFTA_SET_ELEM_LIST_ELEMENTS])[0].data)
	key, end := el.value(unix.NFTA_SET_ELEM_KEY), el.value(nftaSetElemKeyEnd)
	if string(key) != "\x0a\x00\x00\x00\x00\x0a\x00\x00" || string(end) != "\x0a\xff\xff\xff\x00\x17\x00\x00" {
		t.Fatalf("key % x end % x", key, end)
	}
}

func TestElementsOfKernelSet(t *testing.T) {
	l := fakeLookup{sets: map[string]SetDesc{"s": {KeyType: typeIPAddr, KeyLen: 4, Userdata: []byte{0, 4, byte(orderBig), 0, 0, 0}}}}
	mustCompile(t, "add element ip t s { 192.168.3.4, 10.0.0.1 }", Options{Lookup: l})
	_, err := Compile("add element ip t s { 10.0.0.0/8 }", Options{Lookup: l})
	if err == nil || !strings.Contains(err.Error(), "flags interval") {
		t.Fatalf("prefix into a set without intervals: %v", err)
	}
	_, err = Compile("add element ip t nosuch { 10.0.0.1 }", Options{Lookup: l})
	var e *Error
	// nft 1.0.6 points at the set's name
	if !errors.As(err, &e) || e.Col != 18 {
		t.Fatalf("unknown set: want *Error at column 18, got %v", err)
	}
	_, err = Compile("add rule ip6 t c ip6 daddr @s drop", Options{Lookup: l})
	if err == nil || !strings.Contains(err.Error(), "datatype mismatch") {
		t.Fatalf("ip6 daddr @ipv4set: %v", err)
	}
}

func TestSetStatementErrors(t *testing.T) {
	for _, src := range []string{
		"add rule ip t c meter m { ip saddr }",
		"add rule ip t c meter m { ip saddr counter",
		"add rule ip t c add @s { ip saddr bogus }",
		"add rule ip t c meter",
		"add rule ip t c add @s ip saddr",
	} {
		_, err := Compile(src, Options{})
		var e *Error
		if !errors.As(err, &e) || e.Line != 1 || e.Col == 0 {
			t.Errorf("%s: want an *Error with a position, got %v", src, err)
		}
	}
}

func TestJoinElems(t *testing.T) {
	got := joinElems(typeIPAddr, []string{"1.1.1.1", "2.2.2.2", "3.3.3.3"})
	if want := "1.1.1.1, 2.2.2.2,\n\t\t\t     3.3.3.3"; got != want {
		t.Errorf("ipv4: %q, want %q", got, want)
	}
	if got := joinElems(typeIP6Addr, []string{"::1", "::2"}); got != "::1,\n\t\t\t     ::2" {
		t.Errorf("ipv6: %q", got)
	}
}

func TestFormatIPv6(t *testing.T) {
	for in, want := range map[string]string{"::1234:1234": "::18.52.18.52", "::2": "::2", "::1": "::1", "::ffff:1.2.3.4": "::ffff:1.2.3.4", "1234::": "1234::", "::": "::"} {
		b, err := parseIPv6(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatIP(nil, b, nil); got != want {
			t.Errorf("%s prints %s, want %s", in, got, want)
		}
	}
}

func TestIntervalEndsBeforeNextStart(t *testing.T) {
	e := []kElem{{key: []byte{1}}, {key: []byte{1}, flags: elemIntervalEnd}, {key: []byte{0}}}
	sortElems(e, orderBig)
	if e[0].key[0] != 0 || e[1].flags != elemIntervalEnd || e[2].flags != 0 {
		t.Fatalf("sorted %v", e)
	}
}

func TestSetStatementMakesDeclaredSetDynamic(t *testing.T) {
	p := mustCompile(t, "table ip t { set s { type ipv4_addr; }\nchain c { add @s { ip saddr }\n}\n}", Options{})
	for _, m := range p.Messages {
		if m.Type == unix.NFT_MSG_NEWSET {
			if f := attrsOf(m.Attrs).u32(unix.NFTA_SET_FLAGS); f&setEval == 0 {
				t.Fatalf("set flags %#x lack dynamic", f)
			}
			return
		}
	}
	t.Fatal("no set message")
}

func TestSetDeclarationAttributes(t *testing.T) {
	p := mustCompile(t, `table inet t {
	set a { type ipv4_addr; size 100; policy memory; timeout 1m; gc-interval 10s; auto-merge; counter; comment "c"; }
	map e { type ipv4_addr . inet_service : ipv4_addr . inet_service; elements = { 1.2.3.4 . 80 : 5.6.7.8 . 8080 } }
}`, Options{})
	var sets []attrMap
	for _, m := range p.Messages {
		if m.Type == unix.NFT_MSG_NEWSET {
			sets = append(sets, attrsOf(m.Attrs))
		}
	}
	if len(sets) != 2 {
		t.Fatalf("%d sets", len(sets))
	}
	a := sets[0]
	if a.u32(nftaSetPolicy) != setPolicyMemory || attrsOf(a[unix.NFTA_SET_DESC]).u32(unix.NFTA_SET_DESC_SIZE) != 100 ||
		a.u64(unix.NFTA_SET_TIMEOUT) != 60000 || a.u32(nftaSetGCInterval) != 10000 {
		t.Errorf("policy %d size %d timeout %d gc %d", a.u32(nftaSetPolicy), attrsOf(a[unix.NFTA_SET_DESC]).u32(unix.NFTA_SET_DESC_SIZE),
			a.u64(unix.NFTA_SET_TIMEOUT), a.u32(nftaSetGCInterval))
	}
	if v, ok := udataU32(a[unix.NFTA_SET_USERDATA], udataSetMerge); !ok || v != 1 {
		t.Errorf("auto-merge not in user data")
	}
	if udataString(a[unix.NFTA_SET_USERDATA], udataSetComment) != "c" {
		t.Errorf("comment not in user data")
	}
	if e := parseKExpr(a[nftaSetExpr]); e.name != "counter" {
		t.Errorf("set expression %q, want counter", e.name)
	}
	e := sets[1]
	if e.u32(unix.NFTA_SET_DATA_LEN) != 8 || e.u32(unix.NFTA_SET_DATA_TYPE) != typeIPAddr<<typeBits|typeInetService {
		t.Errorf("map data type %#x len %d", e.u32(unix.NFTA_SET_DATA_TYPE), e.u32(unix.NFTA_SET_DATA_LEN))
	}
}

func TestSetPrintsItsDeclaration(t *testing.T) {
	s := &kSet{name: "a", flags: setTimeout | setEval, keyType: typeIPAddr, keyLen: 4, timeout: 60000, size: 100, policy: setPolicyMemory,
		gcInterval: 10000, udata: append([]byte{0, 4, byte(orderBig), 0, 0, 0, udataSetMerge, 4, 1, 0, 0, 0}, udataStr(udataSetComment, "c")...),
		exprs: []kExpr{{name: "counter", a: attrMap{}}}}
	var b strings.Builder
	printSet(&b, &kTable{}, s, &PrintOptions{}, "\t")
	want := "\tset a {\n\t\ttype ipv4_addr\n\t\tpolicy memory\n\t\tsize 100\n\t\tflags dynamic,timeout\n\t\tcounter\n\t\tauto-merge\n" +
		"\t\ttimeout 1m\n\t\tgc-interval 10s\n\t\tcomment \"c\"\n\t}\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// The typeof user data of sets, byte for byte as nft 1.0.6 writes it.
func TestTypeofUserdata(t *testing.T) {
	for src, want := range map[string]string{
		"add set ip t s { typeof ip saddr; }":               "\x00\x04\x02\x00\x00\x00\x03\x14\x00\x04\x07\x00\x00\x00\x01\x0c\x00\x04\x0c\x00\x00\x00\x01\x04\x0b\x00\x00\x00",
		"add set ip t s { type ipv4_addr . inet_service; }": "\x00\x04\x00\x00\x00\x00\x03\x08\x00\x04\x0d\x00\x00\x00\x01\x00",
	} {
		p := mustCompile(t, src, Options{})
		if got := string(attrsOf(p.Messages[0].Attrs)[unix.NFTA_SET_USERDATA]); got != want {
			t.Errorf("%s: user data % x, want % x", src, got, want)
		}
	}
	u := attrsOf(mustCompile(t, "add set ip t s { typeof ip saddr . tcp dport . meta mark; }", Options{}).Messages[0].Attrs)[unix.NFTA_SET_USERDATA]
	if got := typeofText(u); got != "ip saddr . tcp dport . meta mark" {
		t.Errorf("typeof prints %q", got)
	}
}
