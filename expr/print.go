package expr

import (
	"bytes"
	"fmt"
	"strings"

	nftexpr "github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// formatter renders the body of one expression from its NFTA_EXPR_DATA
// attributes, exactly as libnftnl's per-expression snprintf does, including
// the trailing space libnftnl leaves before the closing bracket.
type formatter func(fam byte, a attrs) string

// formatters maps each expression name libnftnl knows to its formatter.
// It is filled in by init: dynset formats nested expressions through it,
// which a package-level initializer would turn into an initialization cycle.
var formatters map[string]formatter

func init() {
	formatters = map[string]formatter{
		"bitwise":      formatBitwise,
		"byteorder":    formatByteorder,
		"cmp":          formatCmp,
		"connlimit":    formatConnlimit,
		"counter":      formatCounter,
		"ct":           formatCt,
		"dup":          formatDup,
		"dynset":       formatDynset,
		"exthdr":       formatExthdr,
		"fib":          formatFib,
		"flow_offload": formatFlowOffload,
		"fwd":          formatFwd,
		"hash":         formatHash,
		"immediate":    formatImmediate,
		"last":         formatLast,
		"limit":        formatLimit,
		"log":          formatLog,
		"lookup":       formatLookup,
		"masq":         formatMasq,
		"match":        formatMatch,
		"meta":         formatMeta,
		"nat":          formatNat,
		"notrack":      formatNotrack,
		"numgen":       formatNumgen,
		"objref":       formatObjref,
		"osf":          formatOsf,
		"payload":      formatPayload,
		"queue":        formatQueue,
		"quota":        formatQuota,
		"range":        formatRange,
		"redir":        formatRedir,
		"reject":       formatReject,
		"rt":           formatRt,
		"socket":       formatSocket,
		"synproxy":     formatSynproxy,
		"target":       formatTarget,
		"tproxy":       formatTproxy,
		"tunnel":       formatTunnel,
		"xfrm":         formatXfrm,
	}
}

// Format renders e for a rule of family fam as one line of
// `nft --debug=netlink` output (which is printed by libnftnl), without
// indentation, e.g. "[ cmp eq reg 1 0x00000016 ]".
//
// The line is rendered from the expression's netlink encoding, so a typed
// google/nftables expression prints exactly what Marshal would send, and a
// *Raw prints what the kernel said. Output follows libnftnl 1.2.4.
//
// An expression whose name libnftnl does not know (and so nft could not
// print) renders as "[ NAME <unknown> HEX ]", HEX being its NFTA_EXPR_DATA
// in hexadecimal (left out when empty). A value that cannot be encoded at
// all renders as "[ <unencodable TYPE: ERROR> ]".
func Format(fam byte, e Expr) string {
	var name string
	var data []byte
	switch v := e.(type) {
	case *Raw:
		name, data = v.Name, v.Data
	case nftexpr.Any:
		b, err := Marshal(fam, v)
		if err != nil {
			return fmt.Sprintf("[ <unencodable %T: %v> ]", e, err)
		}
		name, data = splitElem(b)
	default:
		return fmt.Sprintf("[ <unencodable %T: %v> ]", e, ErrUnsupported)
	}
	return formatNamed(fam, name, data)
}

// formatNamed renders the line for an expression given its name and
// NFTA_EXPR_DATA payload.
func formatNamed(fam byte, name string, data []byte) string {
	f, ok := formatters[name]
	if !ok {
		if len(data) == 0 {
			return "[ " + name + " <unknown> ]"
		}
		return fmt.Sprintf("[ %s <unknown> %x ]", name, data)
	}
	return "[ " + name + " " + f(fam, parseAttrs(data)) + "]"
}

// FormatList renders exprs as nft --debug=netlink prints them inside a rule
// block: one Format line per expression, each indented by two spaces, joined
// by "\n" (no trailing newline).
func FormatList(fam byte, exprs []Expr) string {
	lines := make([]string, len(exprs))
	for i, e := range exprs {
		lines[i] = "  " + Format(fam, e)
	}
	return strings.Join(lines, "\n")
}

// FormatUserdata renders a rule's NFTA_RULE_USERDATA the way nft
// --debug=netlink shows it after the expressions: "  userdata = { ... }",
// printable bytes as they are and the others as \xNN. It returns "" for
// empty userdata, for which nothing is printed.
func FormatUserdata(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteString("  userdata = { ")
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02x", c)
		}
	}
	sb.WriteString(" }")
	return sb.String()
}

// splitElem splits the content of one NFTA_LIST_ELEM attribute into the
// expression's name and its NFTA_EXPR_DATA payload.
func splitElem(b []byte) (name string, data []byte) {
	a := parseAttrs(b)
	return string(bytes.TrimRight(a[unix.NFTA_EXPR_NAME], "\x00")), a[unix.NFTA_EXPR_DATA]
}

// FormatRule renders a rule as `nft --debug=netlink` prints one it lists
// (libnftnl's rule printing, then nft's newline): a line "FAMILY TABLE
// CHAIN HANDLE [POSITION]" (position, the previous rule's handle, left out
// when 0), then the FormatList lines, then the FormatUserdata line, each
// ending in "\n", and one more "\n". libnftnl ends the userdata line
// without a newline, so nft's completes it: a rule without userdata is
// followed by an empty line, one with userdata is not.
func FormatRule(fam byte, table, chain string, handle, position uint64, exprs []Expr, userdata []byte) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s %s %d", familyName(uint32(fam)), table, chain, handle)
	if position != 0 {
		fmt.Fprintf(&sb, " %d", position)
	}
	sb.WriteString("\n")
	if len(exprs) > 0 {
		sb.WriteString(FormatList(fam, exprs))
		sb.WriteString("\n")
	}
	sb.WriteString(FormatUserdata(userdata))
	sb.WriteString("\n")
	return sb.String()
}
