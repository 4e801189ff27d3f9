package nft

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// ctExpr is ct [original|reply] KEY (ct.c): connection tracking state.
type ctExpr struct {
	srcSpan
	key uint32
	dir int // -1: none, 0 original, 1 reply
	// net is the network protocol ct saddr|daddr are addresses of,
	// taken from the rule's context (resolve).
	net *protoDesc
}

type ctTemplate struct {
	name  string
	dt    *Datatype
	bits  int
	order byteOrder
}

// ct keys (NFT_CT_*) this file names.
const (
	ctKeyMark       = 3
	ctKeyExpiration = 5
	ctKeyHelper     = 6
	ctKeyLabels     = 13
	ctKeyZone       = 17
	ctKeyEvent      = 18
	ctKeySrcIP      = 19
	ctKeyDstIP      = 20
	ctKeySrcIP6     = 21
	ctKeyDstIP6     = 22
)

var ctTemplates = map[uint32]ctTemplate{
	0:               {"state", dtCtState, 32, orderHost},
	1:               {"direction", dtCtDir, 8, orderHost},
	2:               {"status", dtCtStatus, 32, orderHost},
	ctKeyMark:       {"mark", dtMark, 32, orderHost},
	4:               {"secmark", dtInteger, 32, orderHost},
	ctKeyExpiration: {"expiration", dtTime, 32, orderHost},
	ctKeyHelper:     {"helper", dtString, 16 * 8, orderHost}, // NF_CT_HELPER_NAME_LEN
	7:               {"l3proto", dtNfproto, 8, orderHost},
	8:               {"saddr", dtInteger, 128, orderBig},
	9:               {"daddr", dtInteger, 128, orderBig},
	10:              {"protocol", dtInetProto, 8, orderBig},
	11:              {"proto-src", dtInetService, 16, orderBig},
	12:              {"proto-dst", dtInetService, 16, orderBig},
	ctKeyLabels:     {"label", dtCtLabel, 128, orderHost},
	14:              {"packets", dtInteger, 64, orderHost},
	15:              {"bytes", dtInteger, 64, orderHost},
	16:              {"avgpkt", dtInteger, 64, orderHost},
	ctKeyZone:       {"zone", dtInteger, 16, orderHost},
	ctKeyEvent:      {"event", dtCtEvent, 32, orderHost},
	ctKeySrcIP:      {"ip saddr", dtIPv4, 32, orderBig},
	ctKeyDstIP:      {"ip daddr", dtIPv4, 32, orderBig},
	ctKeySrcIP6:     {"ip6 saddr", dtIPv6, 128, orderBig},
	ctKeyDstIP6:     {"ip6 daddr", dtIPv6, 128, orderBig},
	23:              {"id", dtInteger, 32, orderBig},
}

// ctDirKeys are the keys that take a direction (ct_key_dir); the others
// refuse one.
var ctDirKeys = map[uint32]bool{8: true, 9: true, 7: true, 10: true, 11: true, 12: true, 14: true, 15: true, 16: true, ctKeyZone: true,
	ctKeySrcIP: true, ctKeyDstIP: true, ctKeySrcIP6: true, ctKeyDstIP6: true}

func ctKeyByName(name string) (uint32, bool) {
	for k, t := range ctTemplates {
		if t.name == name {
			return k, true
		}
	}
	return 0, false
}

func init() {
	selectorParsers["ct"] = func(p *parser, t token) Expr {
		i := 1
		dir := -1
		if n := p.peekN(1); n.kind == tWord && (n.text == "original" || n.text == "reply") {
			dir = map[string]int{"original": 0, "reply": 1}[n.text]
			i = 2
		}
		n := p.peekN(i)
		if n.kind != tWord {
			return nil
		}
		name := n.text
		if (name == "ip" || name == "ip6") && dir >= 0 {
			if f := p.peekN(i + 1); f.kind == tWord && (f.text == "saddr" || f.text == "daddr") {
				name += " " + f.text
				i++
				n.end = f.end
			}
		}
		k, ok := ctKeyByName(name)
		if !ok || dir >= 0 && !ctDirKeys[k] || dir < 0 && k >= ctKeySrcIP && k <= ctKeyDstIP6 {
			p.i += i
			p.fail(n, "syntax error, unexpected "+tokDesc(n))
		}
		p.i += i + 1
		return &ctExpr{srcSpan: srcSpan{t.pos, n.end}, key: k, dir: dir}
	}
}

func (e *ctExpr) tmpl() ctTemplate { return ctTemplates[e.key] }
func (e *ctExpr) dtype() *Datatype {
	if e.key == 8 || e.key == 9 {
		switch e.net {
		case protoIP:
			return dtIPv4
		case protoIP6:
			return dtIPv6
		}
		return dtInteger
	}
	if dt := e.tmpl().dt; dt != nil {
		return dt
	}
	return dtInteger // a key this package has no template for
}
func (e *ctExpr) bits() int {
	if (e.key == 8 || e.key == 9) && e.net == protoIP {
		return 32
	}
	return e.tmpl().bits
}

// resolve gives ct saddr|daddr the network protocol of the rule so far,
// or of the table's family; without one they are refused, as by nft.
func (e *ctExpr) resolve(r *ruleCtx) error {
	if e.key != 8 && e.key != 9 {
		return nil
	}
	e.net = r.proto[baseNetwork]
	if e.net == nil {
		switch r.fam {
		case xtnl.FamilyIPv4:
			e.net = protoIP
		case xtnl.FamilyIPv6:
			e.net = protoIP6
		}
	}
	if e.net != protoIP && e.net != protoIP6 {
		return r.cc.errAt(e.srcSpan, "missing network protocol context: specify ip or ip6 (meta nfproto ipv4 ct original saddr ...)")
	}
	return nil
}
func (e *ctExpr) order() byteOrder { return e.tmpl().order }
func (e *ctExpr) geom() (int, int, bool) {
	return (e.bits() + 7) / 8, 0, false
}

// deps checks that ct ip|ip6 saddr|daddr agrees with the network
// protocol the rule established (meta nfproto ipv6 ct original ip saddr
// is refused, as by nft).
func (e *ctExpr) deps(r *ruleCtx) error {
	want := map[uint32]*protoDesc{ctKeySrcIP: protoIP, ctKeyDstIP: protoIP, ctKeySrcIP6: protoIP6, ctKeyDstIP6: protoIP6}[e.key]
	if cur := r.proto[baseNetwork]; want != nil && cur != nil && cur != want {
		return r.conflict(e, fmt.Sprintf("conflicting protocols specified: %s vs. %s", cur.name, want.name))
	}
	return nil
}

func (e *ctExpr) load(r *ruleCtx, dreg uint32) {
	var a attrBuf
	a.u32(unix.NFTA_CT_KEY, e.key)
	a.u32(unix.NFTA_CT_DREG, kernelReg(dreg))
	if e.dir >= 0 {
		a.raw(unix.NFTA_CT_DIRECTION, []byte{byte(e.dir)})
	}
	r.emit("ct", &a)
}

func (e *ctExpr) text() string {
	s := "ct "
	if e.dir >= 0 {
		s += []string{"original ", "reply "}[e.dir]
	}
	if e.key == 8 || e.key == 9 {
		switch e.net {
		case protoIP:
			s += "ip "
		case protoIP6:
			s += "ip6 "
		}
	}
	return s + e.tmpl().name
}

// dtTime is nft's relative time (TYPE_TIME): milliseconds, written
// 1d2h3m4s5ms or as plain seconds.
var dtTime = &Datatype{ID: 18, Name: "time", Desc: "relative time", Bits: 32, Order: orderHost, Base: dtInteger,
	parse: parseTimeValue, format: formatTimeValue}

// dtCtEvent is the conntrack event mask of ct event set.
var dtCtEvent = &Datatype{ID: typeCtEventBit, Name: "ct_event", Desc: "conntrack event bits", Bits: 32, Order: orderHost, Base: dtInteger, Bitmask: true,
	Symbols: []symbol{{"new", 1}, {"related", 2}, {"destroy", 4}, {"reply", 8}, {"assured", 16}, {"protoinfo", 32},
		{"helper", 64}, {"mark", 128}, {"seqadj", 256}, {"secmark", 512}, {"label", 1024}}}

// dtCtLabel is a conntrack label: one bit of 128, written as its number
// (nft also reads names from connlabel.conf, which this package does not).
var dtCtLabel = &Datatype{ID: typeCtLabel, Name: "ct_label", Desc: "conntrack label", Bits: 128, Order: orderHost, Base: dtInteger, Bitmask: true,
	parse: parseCtLabel, format: formatCtLabel}

func parseTimeValue(_ *Datatype, s string) ([]byte, error) {
	ms, ok := parseTime(s)
	if !ok {
		return nil, fmt.Errorf("Wrong time format")
	}
	if ms > 0xffffffff {
		return nil, finalParseError("value too large")
	}
	return uintBytes(ms, 4), nil
}

// formatTimeValue prints milliseconds as nft's time_print does; with
// o.numericTime (nft inside ranges) as whole seconds.
func formatTimeValue(_ *Datatype, b []byte, o *PrintOptions) string {
	ms := new(big.Int).SetBytes(b).Uint64()
	if o != nil && o.numericTime {
		return fmt.Sprintf("%ds", ms/1000)
	}
	s := formatTime(ms)
	if ms == 0 {
		return ""
	}
	return s
}

func parseCtLabel(_ *Datatype, s string) ([]byte, error) {
	bit, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return nil, fmt.Errorf("/etc/connlabel.conf: could not parse conntrack label \"%s\"", s)
	}
	if bit >= 128 {
		return nil, finalParseError(fmt.Sprintf("%s: bit %d out of range (128 max)", s, bit))
	}
	return fit(new(big.Int).Lsh(big.NewInt(1), uint(bit)).Bytes(), 16), nil
}

func formatCtLabel(_ *Datatype, b []byte, _ *PrintOptions) string {
	v := new(big.Int).SetBytes(b)
	for i := 0; i < v.BitLen(); i++ {
		if v.Bit(i) == 1 {
			return strconv.Itoa(i)
		}
	}
	return "0"
}

// connlimitStmt is ct count [over] N (statement.c's connlimit_stmt).
type connlimitStmt struct {
	srcSpan
	count uint32
	over  bool
}

func init() {
	// ct count, and ct helper|timeout|expectation set NAME (object
	// references); any other ct is a selector or ct KEY set VALUE.
	stmtParsers["ct"] = func(p *parser, t token) Stmt {
		n := p.peekN(1)
		if n.kind != tWord {
			return nil
		}
		switch n.text {
		case "count":
			p.i += 2
			s := &connlimitStmt{srcSpan: srcSpan{t.pos, n.end}}
			s.over = p.acceptWord("over")
			s.count = uint32(p.number())
			s.end = p.toks[p.i-1].end
			return s
		case "helper", "timeout", "expectation":
			if p.peekN(2).kind != tWord || p.peekN(2).text != "set" {
				return nil
			}
			p.i += 2
			return p.objrefStmt(t, map[string]uint32{"helper": objCtHelper, "timeout": objCtTimeout, "expectation": objCtExpect}[n.text])
		}
		return nil
	}
	exprPrinters["connlimit"] = func(d *delin, a attrMap) {
		over := ""
		if a.u32(nftaConnlimitFlags)&nftConnlimitFInv != 0 {
			over = "over "
		}
		d.add(fmt.Sprintf("ct count %s%d", over, a.u32(nftaConnlimitCount)))
	}
}

func (s *connlimitStmt) compile(r *ruleCtx) error {
	var a attrBuf
	a.u32(nftaConnlimitCount, s.count)
	var flags uint32
	if s.over {
		flags = nftConnlimitFInv
	}
	a.u32(nftaConnlimitFlags, flags)
	r.emit("connlimit", &a)
	return nil
}

// connlimit attributes (linux/netfilter/nf_tables.h), which x/sys/unix
// lacks.
const (
	nftaConnlimitCount = 1
	nftaConnlimitFlags = 2
	nftConnlimitFInv   = 1
)
