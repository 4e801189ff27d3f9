package expr

import (
	"bytes"
	"encoding/binary"
	"fmt"

	nftexpr "github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// NFTA_MATCH_* and NFTA_TARGET_* attribute types (the same numbers).
const (
	xtName = unix.NFTA_MATCH_NAME
	xtRev  = unix.NFTA_MATCH_REV
	xtInfo = unix.NFTA_MATCH_INFO
)

// xtExtName reads an xtables extension name as libnftnl keeps it: at most
// XT_EXTENSION_MAXNAMELEN-1 (28) bytes.
func xtExtName(a attrs) string {
	if !a.has(xtName) {
		return ""
	}
	s := a.str(xtName)
	if len(s) > 28 {
		s = s[:28]
	}
	return s
}

// formatMatch prints "name conntrack rev 3 "; the info blob is not shown.
func formatMatch(_ byte, a attrs) string {
	return fmt.Sprintf("name %s rev %d ", xtExtName(a), a.u32(xtRev))
}

// formatTarget prints "name MASQUERADE rev 0 "; the info blob is not shown.
func formatTarget(_ byte, a attrs) string {
	return fmt.Sprintf("name %s rev %d ", xtExtName(a), a.u32(xtRev))
}

// AppendMatch appends an xt match: [ match name NAME rev REV ] carrying
// info, the extension's kernel structure.
func AppendMatch(b []byte, name string, rev uint32, info []byte) []byte {
	return appendXT(b, "match", name, rev, info)
}

// AppendTarget appends an xt target: [ target name NAME rev REV ]
// carrying info.
func AppendTarget(b []byte, name string, rev uint32, info []byte) []byte {
	return appendXT(b, "target", name, rev, info)
}

// appendXT writes an xt match or target: their attributes have the same
// numbers (NFTA_MATCH_NAME = NFTA_TARGET_NAME, and so on).
func appendXT(b []byte, kind, name string, rev uint32, info []byte) []byte {
	b, d := beginElem(b, kind)
	b = nlattr.AppendString(b, xtName, name)
	b = nlattr.AppendUint32(b, xtRev, rev)
	b = nlattr.AppendBytes(b, xtInfo, info)
	return endElem(b, d)
}

// decodeXTFast is decodeFast for an xt match or target.
func decodeXTFast(at []fastAttr, name string, dec *Decoder) (nftexpr.Any, bool) {
	nm, ok1 := find(at, xtName)
	rev, ok2 := u32Of(at, xtRev)
	info, ok3 := find(at, xtInfo)
	if !ok1 || !ok2 || !ok3 || len(at) != 3 || len(nm) < 2 || nm[len(nm)-1] != 0 || bytes.IndexByte(nm[:len(nm)-1], 0) >= 0 {
		return nil, false
	}
	if name == "match" {
		m := dec.match()
		*m = nftexpr.Match{Name: dec.name(nm[:len(nm)-1]), Rev: rev, Info: dec.info(info)}
		return m, true
	}
	t := dec.target()
	*t = nftexpr.Target{Name: dec.name(nm[:len(nm)-1]), Rev: rev, Info: dec.info(info)}
	return t, true
}

// match is a Decoder allocator (decoder.go) for decodeFast.
func (d *Decoder) match() *nftexpr.Match {
	if d == nil {
		return new(nftexpr.Match)
	}
	return slot(&d.matches)
}

// target is a Decoder allocator (decoder.go) for decodeFast.
func (d *Decoder) target() *nftexpr.Target {
	if d == nil {
		return new(nftexpr.Target)
	}
	return slot(&d.targets)
}

// info returns an xt payload: b itself in d's memory, a copy otherwise.
func (d *Decoder) info(b []byte) *xt.Unknown {
	if d == nil {
		u := xt.Unknown(bytes.Clone(b))
		return &u
	}
	u := slot(&d.infos)
	*u = b
	return u
}

// decodeXT decodes match and target expressions keeping their info payload
// as raw bytes (xt.Unknown): its layout is the business of package compat.
func decodeXT(name string, data []byte) nftexpr.Any {
	var xname string
	var rev uint32
	var info []byte
	d := nlattr.NewDecoder(data)
	for d.Next() {
		payload := d.Bytes()
		switch d.RawType() &^ unix.NLA_F_NESTED {
		case xtName:
			xname = string(bytes.TrimRight(payload, "\x00"))
		case xtRev:
			if len(payload) != 4 {
				return nil
			}
			rev = binary.BigEndian.Uint32(payload)
		case xtInfo:
			info = bytes.Clone(payload)
		}
	}
	if d.Err() != nil {
		return nil
	}
	u := xt.Unknown(info)
	if name == "match" {
		return &nftexpr.Match{Name: xname, Rev: rev, Info: &u}
	}
	return &nftexpr.Target{Name: xname, Rev: rev, Info: &u}
}
