package xtnl

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/netnstest"
)

func ip4(s string) []byte { return AddrKey(netip.MustParseAddr(s)) }

func pfx(s string) SetElement { return PrefixElement(netip.MustParsePrefix(s)) }

func mac(s string) []byte {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return EtherKey(m)
}

func verdict(k nftexpr.VerdictKind, chain string) *nftexpr.Verdict {
	return &nftexpr.Verdict{Kind: k, Chain: chain}
}

// setCase is one set made twice: by nft from decl and elems (the
// reference), and by us from set and elements.
type setCase struct {
	name    string
	decl    string // body of nft's "set NAME { ... }" (or map)
	elems   string // nft's element list, "" for none
	set     Set
	ours    []SetElement
	inline  bool // elements must come with the set (constant sets)
	listing string
}

var expiresRE = regexp.MustCompile(` expires [0-9dhms]+`)

// setCases covers every key type and flag the native API names.
func setCases() []setCase {
	return []setCase{
		{name: "a4", decl: "type ipv4_addr;", elems: "10.1.2.3, 192.168.0.1",
			set: Set{KeyType: TypeIPv4Addr}, ours: []SetElement{{Key: ip4("10.1.2.3")}, {Key: ip4("192.168.0.1")}}},
		{name: "a6", decl: "type ipv6_addr;", elems: "2001:db8::1, ::1",
			set: Set{KeyType: TypeIPv6Addr}, ours: []SetElement{{Key: ip4("2001:db8::1")}, {Key: ip4("::1")}}},
		{name: "svc", decl: "type inet_service;", elems: "22, 443",
			set: Set{KeyType: TypeInetService}, ours: []SetElement{{Key: PortKey(22)}, {Key: PortKey(443)}}},
		{name: "ifn", decl: "type ifname;", elems: `"eth0", "lo"`,
			set: Set{KeyType: TypeIfname}, ours: []SetElement{{Key: IfnameKey("eth0")}, {Key: IfnameKey("lo")}}},
		{name: "eth", decl: "type ether_addr;", elems: "02:00:00:00:00:01, 0a:bb:cc:dd:ee:ff",
			set: Set{KeyType: TypeEtherAddr}, ours: []SetElement{{Key: mac("02:00:00:00:00:01")}, {Key: mac("0a:bb:cc:dd:ee:ff")}}},
		{name: "mk", decl: "type mark;", elems: "0x10, 0xffff",
			set: Set{KeyType: TypeMark}, ours: []SetElement{{Key: MarkKey(0x10)}, {Key: MarkKey(0xffff)}}},
		{name: "cat", decl: "type ipv4_addr . inet_service;", elems: "10.0.0.1 . 22, 10.0.0.2 . 443",
			set:  Set{KeyType: Concat(TypeIPv4Addr, TypeInetService)},
			ours: []SetElement{{Key: ConcatKey(ip4("10.0.0.1"), PortKey(22))}, {Key: ConcatKey(ip4("10.0.0.2"), PortKey(443))}}},
		{name: "cat3", decl: "type ipv4_addr . inet_service . ifname;", elems: `10.0.0.1 . 22 . "eth0"`,
			set:  Set{KeyType: Concat(TypeIPv4Addr, TypeInetService, TypeIfname)},
			ours: []SetElement{{Key: ConcatKey(ip4("10.0.0.1"), PortKey(22), IfnameKey("eth0"))}}},
		{name: "iv4", decl: "type ipv4_addr; flags interval;", elems: "10.0.0.0/8, 192.168.1.1, 172.16.0.1-172.16.0.9, 255.255.255.0/24",
			set: Set{KeyType: TypeIPv4Addr, Interval: true},
			ours: []SetElement{pfx("10.0.0.0/8"), {Key: ip4("192.168.1.1")},
				{Key: ip4("172.16.0.1"), KeyEnd: ip4("172.16.0.9")}, pfx("255.255.255.0/24")}},
		{name: "iv6", decl: "type ipv6_addr; flags interval;", elems: "2001:db8::/32, ::1",
			set: Set{KeyType: TypeIPv6Addr, Interval: true}, ours: []SetElement{pfx("2001:db8::/32"), pfx("::1/128")}},
		{name: "ports", decl: "type inet_service; flags interval;", elems: "22, 1000-2000",
			set:  Set{KeyType: TypeInetService, Interval: true},
			ours: []SetElement{{Key: PortKey(22)}, {Key: PortKey(1000), KeyEnd: PortKey(2000)}}},
		{name: "icat", decl: "type ipv4_addr . inet_service; flags interval;", elems: "10.0.0.0/8 . 80-90, 1.2.3.4 . 22",
			set: Set{KeyType: Concat(TypeIPv4Addr, TypeInetService), Interval: true},
			ours: []SetElement{
				{Key: ConcatKey(ip4("10.0.0.0"), PortKey(80)), KeyEnd: ConcatKey(ip4("10.255.255.255"), PortKey(90))},
				{Key: ConcatKey(ip4("1.2.3.4"), PortKey(22))}}},
		{name: "const", decl: "type ipv4_addr; flags constant;", elems: "1.1.1.1", inline: true,
			set: Set{KeyType: TypeIPv4Addr, Constant: true}, ours: []SetElement{{Key: ip4("1.1.1.1")}}},
		{name: "tmo", decl: "type ipv4_addr; flags timeout; timeout 1m;", elems: "1.1.1.1 timeout 30s, 2.2.2.2",
			set:  Set{KeyType: TypeIPv4Addr, Timeout: time.Minute},
			ours: []SetElement{{Key: ip4("1.1.1.1"), Timeout: 30 * time.Second}, {Key: ip4("2.2.2.2")}}},
		{name: "tmf", decl: "type ipv4_addr; flags timeout;", elems: "1.1.1.1 timeout 1h",
			set: Set{KeyType: TypeIPv4Addr, Timeouts: true}, ours: []SetElement{{Key: ip4("1.1.1.1"), Timeout: time.Hour}}},
		{name: "cmt", decl: `type ipv4_addr; comment "allowed hosts";`, elems: `1.1.1.1 comment "one"`,
			set: Set{KeyType: TypeIPv4Addr, Comment: "allowed hosts"}, ours: []SetElement{{Key: ip4("1.1.1.1"), Comment: "one"}}},
		{name: "vm", listing: "map", decl: "type ipv4_addr : verdict;", elems: "1.2.3.4 : accept, 1.2.3.5 : drop, 1.2.3.6 : jump c",
			set: Set{KeyType: TypeIPv4Addr, DataType: TypeVerdict},
			ours: []SetElement{{Key: ip4("1.2.3.4"), Verdict: verdict(nftexpr.VerdictAccept, "")},
				{Key: ip4("1.2.3.5"), Verdict: verdict(nftexpr.VerdictDrop, "")},
				{Key: ip4("1.2.3.6"), Verdict: verdict(nftexpr.VerdictJump, "c")}}},
		{name: "ivm", listing: "map", decl: "type ipv4_addr : verdict; flags interval;", elems: "10.0.0.0/8 : drop, 192.168.0.0/16 : goto c",
			set: Set{KeyType: TypeIPv4Addr, DataType: TypeVerdict, Interval: true},
			ours: []SetElement{{Key: ip4("10.0.0.0"), KeyEnd: ip4("10.255.255.255"), Verdict: verdict(nftexpr.VerdictDrop, "")},
				{Key: ip4("192.168.0.0"), KeyEnd: ip4("192.168.255.255"), Verdict: verdict(nftexpr.VerdictGoto, "c")}}},
		{name: "dm", listing: "map", decl: "type ipv4_addr : mark;", elems: "1.2.3.4 : 0x10, 1.2.3.5 : 0x20",
			set:  Set{KeyType: TypeIPv4Addr, DataType: TypeMark},
			ours: []SetElement{{Key: ip4("1.2.3.4"), Data: MarkKey(0x10)}, {Key: ip4("1.2.3.5"), Data: MarkKey(0x20)}}},
		{name: "cvm", listing: "map", decl: "type ipv4_addr . inet_service : verdict;", elems: "1.2.3.4 . 22 : accept",
			set:  Set{KeyType: Concat(TypeIPv4Addr, TypeInetService), DataType: TypeVerdict},
			ours: []SetElement{{Key: ConcatKey(ip4("1.2.3.4"), PortKey(22)), Verdict: verdict(nftexpr.VerdictAccept, "")}}},
	}
}

// TestSetListedLikeNft makes every case twice, by nft in one namespace and
// by us in another, and requires `nft list set` to print both the same.
func TestSetListedLikeNft(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	ref := netnstest.New(t)
	ref.MustRun(t, "nft", "add table ip t; add chain ip t c")
	if err := c.AddTable(&Table{Family: FamilyIPv4, Name: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range setCases() {
		t.Run(tc.name, func(t *testing.T) {
			kind := "set"
			if tc.listing == "map" {
				kind = "map"
			}
			if tc.inline {
				ref.MustRun(t, "nft", fmt.Sprintf("add %s ip t %s { %s elements = { %s } }", kind, tc.name, tc.decl, tc.elems))
			} else {
				ref.MustRun(t, "nft", fmt.Sprintf("add %s ip t %s { %s }", kind, tc.name, tc.decl))
				ref.MustRun(t, "nft", fmt.Sprintf("add element ip t %s { %s }", tc.name, tc.elems))
			}
			s := tc.set
			s.Family, s.Table, s.Name = FamilyIPv4, "t", tc.name
			tx := c.Begin()
			tx.AddSet(&s)
			tx.AddElements(&s, tc.ours) // found through the set's ID
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			want := ref.MustRun(t, "nft", "list", kind, "ip", "t", tc.name)
			got := ns.MustRun(t, "nft", "list", kind, "ip", "t", tc.name)
			want, got = expiresRE.ReplaceAllString(want, ""), expiresRE.ReplaceAllString(got, "")
			if got != want {
				t.Fatalf("nft lists our %s as\n%s\nand its own as\n%s", tc.name, got, want)
			}
			if !strings.Contains(got, "elements = {") {
				t.Fatalf("no elements listed:\n%s", got)
			}
			// And our reading of nft's set is what we wrote.
			rs, err := Open(WithNetNS(ref.Name))
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			// The user data nft reads types from is byte for byte nft's
			// (nft 1.0.6 adds an empty typeof record to concatenations,
			// which it ignores when listing; we leave it out).
			refSet, err := rs.GetSet(FamilyIPv4, "t", tc.name)
			if err != nil {
				t.Fatal(err)
			}
			ourSet, err := c.GetSet(FamilyIPv4, "t", tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if !s.KeyType.IsConcat() && string(refSet.udata) != string(ourSet.udata) {
				t.Fatalf("user data %x, nft writes %x", ourSet.udata, refSet.udata)
			}
			back, err := rs.ListElements(&Set{Family: FamilyIPv4, Table: "t", Name: tc.name})
			if err != nil {
				t.Fatal(err)
			}
			if g, w := fmtElems(back), fmtElems(sortedCopy(tc.ours)); g != w {
				t.Fatalf("ListElements of nft's %s:\n%s\nwant\n%s", tc.name, g, w)
			}
		})
	}
}

// fmtElems prints elements without their (time-dependent) expiration.
func fmtElems(els []SetElement) string {
	var b strings.Builder
	for _, e := range els {
		fmt.Fprintf(&b, "key=%x", e.Key)
		if e.KeyEnd != nil {
			fmt.Fprintf(&b, " end=%x", e.KeyEnd)
		}
		if e.Data != nil {
			fmt.Fprintf(&b, " data=%x", e.Data)
		}
		if e.Verdict != nil {
			fmt.Fprintf(&b, " verdict=%d:%s", e.Verdict.Kind, e.Verdict.Chain)
		}
		if e.Timeout != 0 {
			fmt.Fprintf(&b, " timeout=%v", e.Timeout)
		}
		if e.Comment != "" {
			fmt.Fprintf(&b, " comment=%q", e.Comment)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func sortedCopy(els []SetElement) []SetElement {
	out := append([]SetElement(nil), els...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if string(out[j].Key) < string(out[i].Key) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestSetReadBackNft reads sets and maps nft made, definitions and
// elements, and checks every field.
func TestSetReadBackNft(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	if out, err := ns.RunInput([]byte(`
table ip r {
	chain c { }
	set a4 { type ipv4_addr; size 100; elements = { 10.0.0.2, 10.0.0.1 } }
	set p4 { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1, 172.16.0.1-172.16.0.9, 255.255.255.0/24 } }
	set p6 { type ipv6_addr; flags interval; elements = { 2001:db8::/32, ::1 } }
	set ci { type ipv4_addr . inet_service; flags interval; elements = { 10.0.0.0/8 . 80-90, 1.2.3.4 . 22 } }
	set to { type mark; flags timeout; timeout 1h; elements = { 0x5 timeout 30m, 0x6 } }
	map vm { type ipv4_addr : verdict; elements = { 1.2.3.4 : accept, 1.2.3.5 : jump c } }
	map dm { type ipv4_addr : mark; elements = { 1.2.3.4 : 0x10 } }
	set ifs { type ifname; flags constant; elements = { "eth0" } }
	set cm { type ether_addr; comment "hi"; elements = { 02:00:00:00:00:01 comment "one" } }
	chain in { ip saddr { 1.1.1.1, 2.2.2.2 } accept; }
}`), "nft", "-f", "-"); err != nil {
		t.Fatal(out, err)
	}
	sets, err := c.ListSets(FamilyIPv4, "r")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sets {
		if s.Handle == 0 || s.Table != "r" || s.Family != FamilyIPv4 {
			t.Errorf("set %s: handle %d table %q family %v", s.Name, s.Handle, s.Table, s.Family)
		}
		got = append(got, fmt.Sprintf("%s key=%s/%d/%d data=%s/%d const=%v interval=%v timeouts=%v timeout=%v size=%d comment=%q flags=%#x",
			s.Name, s.KeyType, s.KeyType.ID, s.KeyType.Len, s.DataType, s.DataType.Len, s.Constant, s.Interval, s.Timeouts, s.Timeout, s.Size, s.Comment, s.Flags))
	}
	want := []string{
		`a4 key=ipv4_addr/7/4 data=/0 const=false interval=false timeouts=false timeout=0s size=100 comment="" flags=0x0`,
		`p4 key=ipv4_addr/7/4 data=/0 const=false interval=true timeouts=false timeout=0s size=0 comment="" flags=0x0`,
		`p6 key=ipv6_addr/8/16 data=/0 const=false interval=true timeouts=false timeout=0s size=0 comment="" flags=0x0`,
		`ci key=ipv4_addr . inet_service/461/8 data=/0 const=false interval=true timeouts=false timeout=0s size=0 comment="" flags=0x0`,
		`to key=mark/19/4 data=/0 const=false interval=false timeouts=true timeout=1h0m0s size=0 comment="" flags=0x0`,
		`vm key=ipv4_addr/7/4 data=verdict/0 const=false interval=false timeouts=false timeout=0s size=0 comment="" flags=0x0`,
		`dm key=ipv4_addr/7/4 data=mark/4 const=false interval=false timeouts=false timeout=0s size=0 comment="" flags=0x0`,
		`ifs key=ifname/41/16 data=/0 const=true interval=false timeouts=false timeout=0s size=1 comment="" flags=0x0`,
		`cm key=ether_addr/9/6 data=/0 const=false interval=false timeouts=false timeout=0s size=0 comment="hi" flags=0x0`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ListSets:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fields := sets[3].KeyType.Fields(); len(fields) != 2 || fields[0] != TypeIPv4Addr || fields[1] != TypeInetService {
		t.Fatalf("fields of %s = %v", sets[3].KeyType, fields)
	}
	if sets[3].KeyType != Concat(TypeIPv4Addr, TypeInetService) || sets[0].KeyType != TypeIPv4Addr || sets[5].DataType != TypeVerdict {
		t.Fatal("read-back types differ from the predefined ones")
	}

	elems := map[string][]SetElement{
		"a4": {{Key: ip4("10.0.0.1")}, {Key: ip4("10.0.0.2")}},
		"p4": {pfx("10.0.0.0/8"), {Key: ip4("172.16.0.1"), KeyEnd: ip4("172.16.0.9")}, {Key: ip4("192.168.1.1")}, pfx("255.255.255.0/24")},
		"p6": {pfx("::1/128"), pfx("2001:db8::/32")},
		"ci": {{Key: ConcatKey(ip4("1.2.3.4"), PortKey(22))},
			{Key: ConcatKey(ip4("10.0.0.0"), PortKey(80)), KeyEnd: ConcatKey(ip4("10.255.255.255"), PortKey(90))}},
		"to":  {{Key: MarkKey(5), Timeout: 30 * time.Minute}, {Key: MarkKey(6)}},
		"vm":  {{Key: ip4("1.2.3.4"), Verdict: verdict(nftexpr.VerdictAccept, "")}, {Key: ip4("1.2.3.5"), Verdict: verdict(nftexpr.VerdictJump, "c")}},
		"dm":  {{Key: ip4("1.2.3.4"), Data: MarkKey(0x10)}},
		"ifs": {{Key: IfnameKey("eth0")}},
		"cm":  {{Key: mac("02:00:00:00:00:01"), Comment: "one"}},
	}
	for _, s := range sets {
		got, err := c.ListElements(s)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := fmtElems(got), fmtElems(elems[s.Name]); g != w {
			t.Errorf("elements of %s:\n%s\nwant\n%s", s.Name, g, w)
		}
		if s.Name == "p4" {
			var ps []string
			for _, e := range got {
				p, ok := e.Prefix()
				ps = append(ps, fmt.Sprint(p, ok))
			}
			if g := strings.Join(ps, " "); g != "10.0.0.0/8 true invalid Prefix false 192.168.1.1/32 true 255.255.255.0/24 true" {
				t.Errorf("prefixes of p4: %s", g)
			}
		}
		if s.Name == "to" {
			// 0x5 expires within its own 30m, 0x6 within the set's 1h.
			if e := got[0].Expiration; e <= 29*time.Minute || e > 30*time.Minute {
				t.Errorf("0x5 expires in %v", e)
			}
			if e := got[1].Expiration; e <= 59*time.Minute || e > time.Hour {
				t.Errorf("0x6 expires in %v", e)
			}
		}
	}
	// Elements are found from the names alone too.
	got2, err := c.ListElements(&Set{Family: FamilyIPv4, Table: "r", Name: "p4"})
	if err != nil {
		t.Fatal(err)
	}
	if fmtElems(got2) != fmtElems(elems["p4"]) {
		t.Fatalf("ListElements by name:\n%s", fmtElems(got2))
	}
	if _, err := c.GetSet(FamilyIPv4, "r", "vm"); err != nil {
		t.Fatal(err)
	}
}

// nftElemCount counts the elements `nft list set` prints.
func nftElemCount(t *testing.T, ns *netnstest.NS, table, set string) int {
	t.Helper()
	out := ns.MustRun(t, "nft", "list", "set", "ip", table, set)
	i := strings.Index(out, "elements = {")
	if i < 0 {
		return 0
	}
	body := out[i+len("elements = {"):]
	body = body[:strings.Index(body, "}")]
	return strings.Count(body, ",") + 1
}

// TestSetLargeTransaction adds 100k elements (and 100k prefixes to an
// interval set) in one commit, then deletes them all in another.
func TestSetLargeTransaction(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	hs := &Set{Family: FamilyIPv4, Table: "t", Name: "big", KeyType: TypeIPv4Addr}
	is := &Set{Family: FamilyIPv4, Table: "t", Name: "bigi", KeyType: TypeIPv4Addr, Interval: true}
	hosts := make([]SetElement, n)
	nets := make([]SetElement, n)
	for i := range n {
		hosts[i] = SetElement{Key: []byte{10, byte(i >> 16), byte(i >> 8), byte(i)}}
		a := 11<<24 | i<<4 // 11.0.0.0 + i*16: a /28 each, 200k kernel elements
		nets[i] = PrefixElement(netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), 28))
	}
	tx := c.Begin()
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "t"})
	tx.AddSet(hs)
	tx.AddSet(is)
	tx.AddElements(hs, hosts)
	tx.AddElements(is, nets)
	start := time.Now()
	if tx.Len() < 4+2*n*8/maxElemsBytes {
		t.Fatalf("%d messages: elements were not split", tx.Len())
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d elements in %d messages committed in %v", 2*n, tx.Len()-3, time.Since(start))
	for _, s := range []*Set{hs, is} {
		start := time.Now()
		got, err := c.ListElements(s)
		t.Logf("ListElements(%s): %v", s.Name, time.Since(start))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("%s: ListElements returned %d, want %d", s.Name, len(got), n)
		}
		start = time.Now()
		k := nftElemCount(t, ns, "t", s.Name)
		t.Logf("nft list set %s: %v", s.Name, time.Since(start))
		if k != n {
			t.Fatalf("%s: nft lists %d elements, want %d", s.Name, k, n)
		}
	}
	got, _ := c.ListElements(is)
	if p, ok := got[n-1].Prefix(); !ok || p != nets[n-1].mustPrefix(t) {
		t.Fatalf("last prefix %v %v", p, ok)
	}

	tx = c.Begin()
	tx.DelElements(hs, hosts)
	tx.DelElements(is, nets)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Set{hs, is} {
		if got, err := c.ListElements(s); err != nil || len(got) != 0 {
			t.Fatalf("%s after delete: %d elements, %v", s.Name, len(got), err)
		}
		if k := nftElemCount(t, ns, "t", s.Name); k != 0 {
			t.Fatalf("%s after delete: nft lists %d elements", s.Name, k)
		}
	}
}

// TestSetLookupRules writes rules that look up a set, a verdict map and a
// data map, in the same transaction as the sets, and requires nft to print
// them in its own syntax.
func TestSetLookupRules(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	allow := &Set{Family: FamilyIPv4, Table: "t", Name: "allow", KeyType: TypeIPv4Addr, Interval: true}
	vm := &Set{Family: FamilyIPv4, Table: "t", Name: "m", KeyType: TypeIPv4Addr, DataType: TypeVerdict}
	dm := &Set{Family: FamilyIPv4, Table: "t", Name: "mm", KeyType: TypeIPv4Addr, DataType: TypeMark}
	saddr := func() expr.Expr {
		return &nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 12, Len: 4}
	}
	tx := c.Begin()
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "t"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
	tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "other"})
	tx.AddSet(allow)
	tx.AddSet(vm)
	tx.AddSet(dm)
	tx.AddElements(allow, []SetElement{pfx("10.0.0.0/8")})
	tx.AddElements(vm, []SetElement{{Key: ip4("1.2.3.4"), Verdict: verdict(nftexpr.VerdictJump, "other")}})
	tx.AddElements(dm, []SetElement{{Key: ip4("1.2.3.4"), Data: MarkKey(7)}})
	tx.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{
		saddr(),
		&nftexpr.Lookup{SourceRegister: 1, SetName: allow.Name, SetID: allow.ID},
		accept(),
	}})
	tx.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{
		saddr(),
		&nftexpr.Lookup{SourceRegister: 1, SetName: vm.Name, SetID: vm.ID, IsDestRegSet: true, DestRegister: 0},
	}})
	tx.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{
		saddr(),
		&nftexpr.Lookup{SourceRegister: 1, SetName: dm.Name, SetID: dm.ID, IsDestRegSet: true, DestRegister: 1},
		&nftexpr.Meta{Key: nftexpr.MetaKeyMARK, SourceRegister: true, Register: 1},
	}})
	tx.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{
		saddr(),
		&nftexpr.Lookup{SourceRegister: 1, SetName: allow.Name, SetID: allow.ID, Invert: true},
		&nftexpr.Verdict{Kind: nftexpr.VerdictDrop},
	}})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if allow.ID == 0 || vm.ID == 0 || allow.ID == vm.ID {
		t.Fatalf("set IDs %d %d", allow.ID, vm.ID)
	}
	var got []string
	for _, l := range strings.Split(ns.MustRun(t, "nft", "list", "chain", "ip", "t", "c"), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "ip ") || strings.HasPrefix(l, "meta ") {
			got = append(got, l)
		}
	}
	want := []string{"ip saddr @allow accept", "ip saddr vmap @m", "meta mark set ip saddr map @mm", "ip saddr != @allow drop"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("nft lists\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A set in use cannot go.
	if err := c.DelSet(allow); !errors.Is(err, ErrBusy) {
		t.Fatalf("deleting a set in use: %v, want ErrBusy", err)
	}
}

// TestSetErrors checks the typed errors and that a refused batch of
// elements changes nothing.
func TestSetErrors(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	s := &Set{Family: FamilyIPv4, Table: "t", Name: "s", KeyType: TypeIPv4Addr}
	iv := &Set{Family: FamilyIPv4, Table: "t", Name: "iv", KeyType: TypeIPv4Addr, Interval: true}
	tx := c.Begin()
	tx.AddTable(&Table{Family: FamilyIPv4, Name: "t"})
	tx.AddSet(s)
	tx.AddSet(iv)
	tx.AddElements(s, []SetElement{{Key: ip4("1.1.1.1")}, {Key: ip4("2.2.2.2")}})
	tx.AddElements(iv, []SetElement{pfx("10.0.0.0/8")})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	before := ns.MustRun(t, "nft", "list", "table", "ip", "t")

	// Adding again without EXCL is fine; with it, ErrExist.
	if err := c.AddElements(s, []SetElement{{Key: ip4("1.1.1.1")}}); err != nil {
		t.Fatalf("re-adding an element: %v", err)
	}
	tx = c.Begin()
	tx.CreateElements(s, []SetElement{{Key: ip4("1.1.1.1")}})
	err := tx.Commit()
	var oe *OpError
	if !errors.Is(err, ErrExist) || !errors.As(err, &oe) || !strings.Contains(oe.Object, "set ip t s") {
		t.Fatalf("duplicate with EXCL: %v, want ErrExist naming the set", err)
	}
	if err := c.DelElements(s, []SetElement{{Key: ip4("9.9.9.9")}}); !errors.Is(err, ErrNotExist) {
		t.Fatalf("deleting a missing element: %v, want ErrNotExist", err)
	}
	if err := c.DelElements(iv, []SetElement{pfx("11.0.0.0/8")}); !errors.Is(err, ErrNotExist) {
		t.Fatalf("deleting a missing range: %v, want ErrNotExist", err)
	}
	nosuch := &Set{Family: FamilyIPv4, Table: "t", Name: "nosuch", KeyType: TypeIPv4Addr}
	if err := c.AddElements(nosuch, []SetElement{{Key: ip4("1.1.1.1")}}); !errors.Is(err, ErrNotExist) {
		t.Fatalf("adding to an unknown set: %v, want ErrNotExist", err)
	}
	if _, err := c.ListElements(nosuch); !errors.Is(err, ErrNotExist) {
		t.Fatalf("listing an unknown set: %v, want ErrNotExist", err)
	}
	if _, err := c.GetSet(FamilyIPv4, "t", "nosuch"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("getting an unknown set: %v, want ErrNotExist", err)
	}
	if err := c.DelSet(nosuch); !errors.Is(err, ErrNotExist) {
		t.Fatalf("deleting an unknown set: %v, want ErrNotExist", err)
	}
	// Malformed elements never reach the kernel.
	for i, bad := range [][]SetElement{
		{{Key: []byte{1, 2, 3}}},
		{{Key: ip4("1.1.1.1"), KeyEnd: ip4("1.1.1.9")}}, // range in a plain set
		{{Key: ip4("1.1.1.1"), Data: MarkKey(1)}},       // value in a set
		{{Key: ip4("1.1.1.1"), Timeout: time.Second}},   // no timeouts
	} {
		if err := c.AddElements(s, bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad element %d: %v, want ErrInvalid", i, err)
		}
	}

	// A batch that fails in its last message, after thousands of good
	// elements spread over several messages, changes nothing.
	var many []SetElement
	for i := range 20_000 {
		many = append(many, SetElement{Key: []byte{20, byte(i >> 16), byte(i >> 8), byte(i)}})
	}
	tx = c.Begin()
	tx.FlushSet(iv)
	tx.AddElements(s, many)
	tx.AddElements(iv, []SetElement{pfx("192.168.0.0/16")})
	tx.CreateElements(s, []SetElement{{Key: ip4("2.2.2.2")}})
	if err := tx.Commit(); !errors.Is(err, ErrExist) {
		t.Fatalf("failing batch: %v, want ErrExist", err)
	}
	if after := ns.MustRun(t, "nft", "list", "table", "ip", "t"); after != before {
		t.Fatalf("a refused batch changed the table:\n%s\nwas\n%s", after, before)
	}
	if got, err := c.ListElements(s); err != nil || len(got) != 2 {
		t.Fatalf("after the refused batch: %d elements, %v", len(got), err)
	}

	// Flush empties; the deleted set disappears.
	if err := c.FlushSet(s); err != nil {
		t.Fatal(err)
	}
	if k := nftElemCount(t, ns, "t", "s"); k != 0 {
		t.Fatalf("after flush nft lists %d elements", k)
	}
	if err := c.DelSet(s); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Run("nft", "list", "set", "ip", "t", "s"); err == nil {
		t.Fatal("nft still lists the deleted set")
	}
}

func (e SetElement) mustPrefix(t *testing.T) netip.Prefix {
	t.Helper()
	p, ok := e.Prefix()
	if !ok {
		t.Fatalf("%x-%x is not a prefix", e.Key, e.KeyEnd)
	}
	return p
}
