package nft

import (
	"bytes"
	"math/big"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// counter, log, limit, notrack and the set statement (meta mark set ...).

type counterStmt struct {
	srcSpan
	packets, bytes uint64
	name           string
}

type logStmt struct {
	srcSpan
	prefix    string
	hasPrefix bool
	level     int
	hasLevel  bool
	group     int
	hasGroup  bool
	snaplen   int
	hasSnap   bool
	qthresh   int
	hasQT     bool
	flags     uint32
}

type limitStmt struct {
	srcSpan
	rate       uint64
	unit       uint64
	burst      uint64
	bytes      bool
	over       bool
	burstGiven bool
}

type notrackStmt struct{ srcSpan }

// setStmt is "selector set value".
type setStmt struct {
	srcSpan
	lhs Expr
	val Expr
}

func init() {
	stmtParsers["counter"] = func(p *parser, t token) Stmt {
		p.i++
		s := &counterStmt{srcSpan: srcSpan{t.pos, t.end}}
		if p.acceptWord("name") {
			s.name = p.stringArg()
			return s
		}
		if p.acceptWord("packets") {
			s.packets = p.number()
			p.expectWord("bytes")
			s.bytes = p.number()
		}
		return s
	}
	stmtParsers["notrack"] = func(p *parser, t token) Stmt {
		p.i++
		return &notrackStmt{srcSpan{t.pos, t.end}}
	}
	stmtParsers["log"] = func(p *parser, t token) Stmt {
		p.i++
		s := &logStmt{srcSpan: srcSpan{t.pos, t.end}}
		for {
			switch {
			case p.acceptWord("prefix"):
				s.prefix, s.hasPrefix = p.stringArg(), true
			case p.acceptWord("level"):
				lv := p.name()
				l, ok := logLevels[lv]
				if !ok {
					p.errorf(s.srcSpan, "invalid log level")
				}
				s.level, s.hasLevel = l, true
			case p.acceptWord("group"):
				s.group, s.hasGroup = int(p.number()), true
			case p.acceptWord("snaplen"):
				s.snaplen, s.hasSnap = int(p.number()), true
			case p.acceptWord("queue-threshold"):
				s.qthresh, s.hasQT = int(p.number()), true
			case p.acceptWord("flags"):
				for {
					f := p.name()
					switch f {
					case "tcp":
						fl := p.name()
						switch fl {
						case "sequence":
							s.flags |= 0x1
						case "options":
							s.flags |= 0x2
						}
						if p.acceptPunct(",") {
							if p.isWord("options") || p.isWord("sequence") {
								fl = p.name()
								if fl == "options" {
									s.flags |= 0x2
								} else {
									s.flags |= 0x1
								}
							}
						}
					case "ip":
						p.expectWord("options")
						s.flags |= 0x4
					case "skuid":
						s.flags |= 0x8
					case "ether":
						s.flags |= 0x20
					case "all":
						s.flags |= 0x2f
					}
					if !p.acceptPunct(",") {
						break
					}
				}
			default:
				return s
			}
		}
	}
	stmtParsers["limit"] = func(p *parser, t token) Stmt {
		p.i++
		s := &limitStmt{srcSpan: srcSpan{t.pos, t.end}}
		p.expectWord("rate")
		if p.acceptWord("over") {
			s.over = true
		}
		s.rate = p.number()
		if p.isWord("bytes") || p.isWord("kbytes") || p.isWord("mbytes") {
			s.bytes = true
			s.rate *= byteUnit(p.next().text)
		}
		p.expectPunct("/")
		u := p.name()
		s.unit = timeUnit(u)
		if p.acceptWord("burst") {
			s.burst = p.number()
			s.burstGiven = true
			if p.isWord("packets") {
				p.i++
			} else if p.isWord("bytes") || p.isWord("kbytes") || p.isWord("mbytes") {
				s.burst *= byteUnit(p.next().text)
			}
		}
		if !s.bytes && !s.burstGiven {
			s.burst = 5
		}
		return s
	}
}

var logLevels = map[string]int{"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warn": 4, "notice": 5, "info": 6, "debug": 7, "audit": 8}

func byteUnit(s string) uint64 {
	switch s {
	case "kbytes":
		return 1024
	case "mbytes":
		return 1024 * 1024
	}
	return 1
}

func timeUnit(s string) uint64 {
	switch s {
	case "second":
		return 1
	case "minute":
		return 60
	case "hour":
		return 3600
	case "day":
		return 86400
	case "week":
		return 604800
	}
	return 1
}

func (s *counterStmt) compile(r *ruleCtx) error {
	var a attrBuf
	if s.name != "" {
		a.u32(unix.NFTA_OBJREF_IMM_TYPE, 1)
		a.str(unix.NFTA_OBJREF_IMM_NAME, s.name)
		r.emit("objref", &a)
		return nil
	}
	a.u64(unix.NFTA_COUNTER_BYTES, s.bytes)
	a.u64(unix.NFTA_COUNTER_PACKETS, s.packets)
	r.emit("counter", &a)
	return nil
}

func (s *notrackStmt) compile(r *ruleCtx) error {
	r.emit("notrack", &attrBuf{})
	return nil
}

func (s *logStmt) compile(r *ruleCtx) error {
	var a attrBuf
	if s.hasPrefix {
		a.str(unix.NFTA_LOG_PREFIX, s.prefix)
	}
	if s.hasGroup {
		a.raw(unix.NFTA_LOG_GROUP, []byte{byte(s.group >> 8), byte(s.group)})
	}
	if s.hasSnap {
		a.u32(unix.NFTA_LOG_SNAPLEN, uint32(s.snaplen))
	}
	if s.hasQT {
		a.raw(unix.NFTA_LOG_QTHRESHOLD, []byte{byte(s.qthresh >> 8), byte(s.qthresh)})
	}
	if s.hasLevel {
		a.u32(unix.NFTA_LOG_LEVEL, uint32(s.level))
	}
	if s.flags != 0 {
		a.u32(unix.NFTA_LOG_FLAGS, s.flags)
	}
	r.emit("log", &a)
	return nil
}

func (s *limitStmt) compile(r *ruleCtx) error {
	var a attrBuf
	a.u64(unix.NFTA_LIMIT_RATE, s.rate)
	a.u64(unix.NFTA_LIMIT_UNIT, s.unit)
	a.u32(unix.NFTA_LIMIT_BURST, uint32(s.burst))
	typ := uint32(unix.NFT_LIMIT_PKTS)
	if s.bytes {
		typ = unix.NFT_LIMIT_PKT_BYTES
	}
	a.u32(unix.NFTA_LIMIT_TYPE, typ)
	var flags uint32
	if s.over {
		flags = unix.NFT_LIMIT_F_INV
	}
	a.u32(unix.NFTA_LIMIT_FLAGS, flags)
	r.emit("limit", &a)
	return nil
}

func (s *setStmt) compile(r *ruleCtx) error {
	switch x := s.lhs.(type) {
	case *metaExpr:
		li := &lhsInfo{dt: x.dtype(), bits: x.bits(), order: x.order(), lenBytes: (x.bits() + 7) / 8}
		reg, err := r.loadValue(s.val, li)
		if err != nil {
			return err
		}
		var a attrBuf
		a.u32(unix.NFTA_META_KEY, x.key)
		a.u32(unix.NFTA_META_SREG, kernelReg(reg))
		r.emit("meta", &a)
		r.putReg(li.lenBytes)
		return nil
	case *ctExpr:
		li := &lhsInfo{dt: x.dtype(), bits: x.bits(), order: x.order(), lenBytes: (x.bits() + 7) / 8}
		reg, err := r.loadValue(s.val, li)
		if err != nil {
			return err
		}
		var a attrBuf
		a.u32(unix.NFTA_CT_KEY, x.key)
		if x.dir >= 0 {
			a.raw(unix.NFTA_CT_DIRECTION, []byte{byte(x.dir)})
		}
		a.u32(unix.NFTA_CT_SREG, kernelReg(reg))
		r.emit("ct", &a)
		r.putReg(li.lenBytes)
		return nil
	}
	return r.cc.errAt(s.srcSpan, "unsupported set statement")
}

// loadValue puts a statement's argument in a fresh register: a constant
// through immediate, a selector by loading it.
func (r *ruleCtx) loadValue(e Expr, li *lhsInfo) (uint32, error) {
	if b, ok := e.(*binopExpr); ok && !isConstExpr(b) {
		return r.loadBinop(b, li)
	}
	if sel, ok := e.(selector); ok {
		if err := sel.deps(r); err != nil {
			return 0, err
		}
		reg := r.getReg(li.lenBytes)
		sel.load(r, reg)
		return reg, nil
	}
	v, err := r.constValue(e, li)
	if err != nil {
		return 0, err
	}
	reg := r.getReg(li.lenBytes)
	r.emitImmediateData(reg, li.regValue(v))
	return reg, nil
}

// parseTime reads nft's time syntax (1d2h3m4s5ms, or plain seconds) in
// milliseconds.
func parseTime(s string) (uint64, bool) {
	if v, err := strconv.ParseUint(s, 10, 64); err == nil {
		return v * 1000, true
	}
	var total uint64
	for len(s) > 0 {
		i := 0
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == 0 {
			return 0, false
		}
		n, _ := strconv.ParseUint(s[:i], 10, 64)
		s = s[i:]
		j := 0
		for j < len(s) && isLetter(s[j]) {
			j++
		}
		unit := strings.ToLower(s[:j])
		s = s[j:]
		switch unit {
		case "d":
			total += n * 86400000
		case "h":
			total += n * 3600000
		case "m":
			total += n * 60000
		case "s":
			total += n * 1000
		case "ms":
			total += n
		default:
			return 0, false
		}
	}
	return total, true
}

// Bitwise operations (NFT_BITWISE_*), which x/sys/unix does not name.
const (
	bitwiseBool   = 0
	bitwiseLshift = 1
	bitwiseRshift = 2
)

// isConstExpr reports an expression without selectors (folded at compile
// time).
func isConstExpr(e Expr) bool {
	switch x := e.(type) {
	case selector:
		return false
	case *binopExpr:
		return isConstExpr(x.l) && isConstExpr(x.r)
	}
	return true
}

// loadBinop loads "selector OP constant" (ct mark >> 8, meta mark & 0xff):
// the selector, then a shift or a bitwise mask and xor on the register.
func (r *ruleCtx) loadBinop(b *binopExpr, li *lhsInfo) (uint32, error) {
	reg, err := r.loadValue(b.l, li)
	if err != nil {
		return 0, err
	}
	switch b.op {
	case "<<", ">>":
		n, err := r.constValue(b.r, &lhsInfo{dt: dtInteger, bits: 32, order: orderHost, lenBytes: 4})
		if err != nil {
			return 0, err
		}
		op := uint32(bitwiseLshift)
		if b.op == ">>" {
			op = bitwiseRshift
		}
		r.emitShift(reg, reg, li.lenBytes, op, uint32(new(big.Int).SetBytes(n).Uint64()))
	case "&", "|", "^":
		v, err := r.constValue(b.r, li)
		if err != nil {
			return 0, err
		}
		v = fit(v, li.lenBytes)
		mask, xor := bytes.Repeat([]byte{0xff}, li.lenBytes), make([]byte, li.lenBytes)
		switch b.op {
		case "&":
			mask = v
		case "|":
			mask, xor = notBytes(v), v
		case "^":
			xor = v
		}
		r.emitBitwise(reg, reg, regBytes(mask, li.order), regBytes(xor, li.order))
	default:
		return 0, r.cc.errAt(b.srcSpan, "unsupported binary operation")
	}
	return reg, nil
}
