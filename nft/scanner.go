package nft

import (
	"strings"
)

// tokKind is the kind of a token. nft's scanner has a keyword token for
// every word of its language, but nearly every keyword is also accepted as
// a name; here words stay words and the parser looks at their text.
type tokKind int

const (
	tEOF     tokKind = iota
	tNewline         // statement separator, like ';'
	tWord            // a name or keyword: letters, digits, _ . / - (starts with a letter, _ or .)
	tNum             // a decimal or 0x hex number
	tAddr            // an IPv4, IPv6 or MAC address
	tString          // a "quoted string" (Text holds it unquoted)
	tVar             // $name (Text holds name)
	tSetRef          // @name (Text holds name)
	tPunct           // one of { } ( ) [ ] ; , : . = == != < > <= >= & | ^ ! ~ << >> / - *
)

// token is one token with where it starts and ends (end column inclusive).
type token struct {
	kind tokKind
	text string
	pos  Pos
	end  int
	// asterisk marks a word or string ending in '*' (an interface wildcard).
	asterisk bool
}

// scanner splits a script into tokens, as nft's flex scanner does for the
// parts of the language handled here.
type scanner struct {
	src  string
	off  int
	line int
	col  int // of src[off]
	file string
	errs ErrorList
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// lineText returns the text of line n (1-based).
func lineText(src string, n int) string {
	for i := 1; i < n; i++ {
		j := strings.IndexByte(src, '\n')
		if j < 0 {
			return ""
		}
		src = src[j+1:]
	}
	if j := strings.IndexByte(src, '\n'); j >= 0 {
		return src[:j]
	}
	return src
}

func (s *scanner) errorf(p Pos, end int, msg string) {
	s.errs = append(s.errs, &Error{File: s.file, Pos: p, EndCol: end, Msg: msg, Text: lineText(s.src, p.Line)})
}

func (s *scanner) advance(n int) {
	for i := 0; i < n; i++ {
		if s.src[s.off] == '\n' {
			s.line++
			s.col = 1
		} else {
			s.col++
		}
		s.off++
	}
}

func (s *scanner) next() token {
	for s.off < len(s.src) {
		c := s.src[s.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			s.advance(1)
			continue
		case c == '\\' && s.off+1 < len(s.src) && s.src[s.off+1] == '\n':
			s.advance(2)
			continue
		case c == '#':
			for s.off < len(s.src) && s.src[s.off] != '\n' {
				s.advance(1)
			}
			continue
		}
		break
	}
	p := Pos{s.line, s.col}
	if s.off >= len(s.src) {
		return token{kind: tEOF, pos: p, end: p.Col}
	}
	mk := func(k tokKind, n int, text string) token {
		t := token{kind: k, text: text, pos: p, end: p.Col + n - 1}
		s.advance(n)
		return t
	}
	rest := s.src[s.off:]
	c := rest[0]
	switch {
	case c == '\n':
		return mk(tNewline, 1, "\n")
	case c == '"':
		j := strings.IndexByte(rest[1:], '"')
		if j < 0 || strings.IndexByte(rest[1:j+1], '\n') >= 0 {
			s.errorf(p, p.Col, "unterminated string")
			n := strings.IndexByte(rest, '\n')
			if n < 0 {
				n = len(rest)
			}
			return mk(tString, n, rest[1:n])
		}
		t := mk(tString, j+2, rest[1:j+1])
		if strings.HasSuffix(t.text, "*") {
			t.asterisk = true
		}
		return t
	case c == '$' || c == '@':
		n := 1
		for n < len(rest) && (isLetter(rest[n]) || isDigit(rest[n]) || rest[n] == '_' || rest[n] == '-' || rest[n] == '.' || rest[n] == '/') {
			n++
		}
		k := tVar
		if c == '@' {
			k = tSetRef
		}
		return mk(k, n, rest[1:n])
	}
	// Addresses, numbers and words compete: the longest match wins, as in
	// flex.
	an := addrLen(rest)
	wn := 0
	kind := tWord
	switch {
	case isLetter(c) || c == '_' || c == '.' && len(rest) > 1 && isLetter(rest[1]):
		wn = 1
		for wn < len(rest) && (isLetter(rest[wn]) || isDigit(rest[wn]) || strings.IndexByte("/-_.", rest[wn]) >= 0) {
			wn++
		}
	case isDigit(c):
		kind = tNum
		if len(rest) > 2 && c == '0' && (rest[1] == 'x' || rest[1] == 'X') && isHex(rest[2]) {
			wn = 2
			for wn < len(rest) && isHex(rest[wn]) {
				wn++
			}
		} else {
			for wn < len(rest) && isDigit(rest[wn]) {
				wn++
			}
			// A time such as 1d2h3m4s5ms, or a number glued to a word
			// (1mbytes): one word.
			if wn < len(rest) && isLetter(rest[wn]) {
				kind = tWord
				for wn < len(rest) && (isLetter(rest[wn]) || isDigit(rest[wn])) {
					wn++
				}
			}
		}
	}
	if cn := classidLen(rest); cn > an && cn > wn && !afterSlash(s.src, s.off) {
		// A TC classid (1:1234) is a string, as nft's scanner reads it;
		// not a prefix length and a port (10.0.0.0/24:80).
		return mk(tWord, cn, rest[:cn])
	}
	if an > 0 && an >= wn {
		return mk(tAddr, an, rest[:an])
	}
	if wn > 0 {
		if op, ok := operatorWords[rest[:wn]]; ok && kind == tWord {
			// nft's scanner reads these words as the operators
			return mk(tPunct, wn, op)
		}
		t := mk(kind, wn, rest[:wn])
		if kind == tWord && s.off < len(s.src) && s.src[s.off] == '*' {
			s.advance(1)
			t.text += "*"
			t.end++
			t.asterisk = true
		}
		return t
	}
	for _, op := range []string{"==", "!=", "<=", ">=", "<<", ">>"} {
		if strings.HasPrefix(rest, op) {
			return mk(tPunct, 2, op)
		}
	}
	if strings.IndexByte("{}()[];,:.=<>&|^!~/-*+", c) >= 0 {
		return mk(tPunct, 1, rest[:1])
	}
	s.errorf(p, p.Col, "syntax error, unexpected junk")
	s.advance(1)
	return s.next()
}

// operatorWords are the words nft's scanner reads as binary operators
// (scanner.l): "and" is "&".
var operatorWords = map[string]string{"and": "&", "or": "|", "xor": "^", "lshift": "<<", "rshift": ">>"}

// afterSlash says whether the token at off follows a '/'.
func afterSlash(src string, off int) bool { return off > 0 && src[off-1] == '/' }

// classidLen is the length of a TC classid (hex{1,4}:hex{1,4}) at the
// start of s when a blank, ':', '-', ',' or '}' (or the end) follows it,
// 0 otherwise.
func classidLen(s string) int {
	i := 0
	for i < len(s) && i < 5 && isHex(s[i]) {
		i++
	}
	if i == 0 || i > 4 || i >= len(s) || s[i] != ':' {
		return 0
	}
	j := i + 1
	for j < len(s) && j-i-1 < 5 && isHex(s[j]) {
		j++
	}
	if j == i+1 || j-i-1 > 4 {
		return 0
	}
	if j < len(s) && strings.IndexByte(" \t\n:-},", s[j]) < 0 {
		return 0
	}
	return j
}

// addrLen returns the length of the longest IPv4, IPv6 or MAC address at the
// start of s, 0 if none.
func addrLen(s string) int {
	n := 0
	for n < len(s) && (isHex(s[n]) || s[n] == ':' || s[n] == '.') {
		n++
	}
	// no address is longer than an IPv6 one ending in IPv4 (45
	// characters): longer runs of ':' need not be tried (they took
	// cubic time)
	if n > 45 {
		n = 45
	}
	for ; n > 0; n-- {
		if n < len(s) && (isLetter(s[n]) || isDigit(s[n]) || s[n] == '_') && isHex(s[n-1]) {
			continue // a longer word goes on
		}
		if validAddr(s[:n]) {
			return n
		}
	}
	return 0
}

func validAddr(a string) bool {
	if strings.IndexByte(a, ':') < 0 {
		return isIPv4(a)
	}
	if isMAC(a) {
		return true
	}
	return isIPv6(a)
}

func isIPv4(a string) bool {
	parts, digits := 1, 0
	for i := 0; i < len(a); i++ {
		switch c := a[i]; {
		case c == '.':
			if digits == 0 {
				return false
			}
			parts, digits = parts+1, 0
		case isDigit(c) && digits < 3:
			digits++
		default:
			return false
		}
	}
	return parts == 4 && digits > 0
}

func isMAC(a string) bool {
	parts, digits := 1, 0
	for i := 0; i < len(a); i++ {
		switch c := a[i]; {
		case c == ':':
			if digits == 0 {
				return false
			}
			parts, digits = parts+1, 0
		case isHex(c) && digits < 2:
			digits++
		default:
			return false
		}
	}
	return parts == 6 && digits > 0
}

func allHex(p string) bool {
	for i := 0; i < len(p); i++ {
		if !isHex(p[i]) {
			return false
		}
	}
	return true
}

func isIPv6(a string) bool {
	groups := 0
	s := a
	dbl := strings.Count(a, "::")
	if dbl > 1 || strings.Contains(a, ":::") {
		return false
	}
	if strings.HasPrefix(s, ":") && !strings.HasPrefix(s, "::") || strings.HasSuffix(s, ":") && !strings.HasSuffix(s, "::") {
		return false
	}
	s = strings.ReplaceAll(s, "::", ":")
	s = strings.Trim(s, ":")
	if s != "" {
		parts := strings.Split(s, ":")
		for i, p := range parts {
			if i == len(parts)-1 && strings.IndexByte(p, '.') >= 0 {
				if !isIPv4(p) {
					return false
				}
				groups += 2
				continue
			}
			if len(p) == 0 || len(p) > 4 || !allHex(p) {
				return false
			}
			groups++
		}
	} else if dbl == 0 {
		return false
	}
	if dbl == 1 {
		return groups <= 7
	}
	return groups == 8
}
