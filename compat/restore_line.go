package compat

import (
	"fmt"
	"strings"
)

// How a restore's input is cut into lines and each line into arguments,
// with iptables-restore's limits.

// Limits of iptables-restore 1.8.9, kept so that input it refuses is
// refused here too, and so that a huge line fails before it is held whole.
const (
	// MaxRestoreLine is the longest restore line, in bytes without its
	// newline, that iptables-restore reads as one line (it reads into a
	// buffer of 10240 bytes; a longer line is cut and misread).
	MaxRestoreLine = 10239
	// maxRestoreParam is the longest argument iptables-restore takes
	// ("Parameter too long!").
	maxRestoreParam = 1023
	// maxRestoreArgs is how many arguments a line may have: iptables-restore
	// passes at most 254 to the command, three of them its own.
	maxRestoreArgs = 251
)

// ErrLineTooLong is matched (errors.Is) by the error of a restore whose
// input holds a line longer than MaxRestoreLine.
// It is a *SpecError (ErrBadSpec matches it too).
var ErrLineTooLong error = &SpecError{Msg: fmt.Sprintf("line longer than %d bytes, iptables-restore's limit", MaxRestoreLine)}

// restoreLine is a raw input line as a restore reads it, trimmed; skip
// is set for a blank or comment line. The reader and the encoders of
// queued appends (appendsInto) both go by it, so they count lines alike.
func restoreLine(raw string) (line string, skip bool) {
	line = strings.TrimSpace(raw)
	return line, line == "" || line[0] == '#'
}

// quoteOpen reports whether a double quote opened in s is still open at
// its end, by splitQuotedArgs' rules.
func quoteOpen(s string) bool {
	if strings.IndexByte(s, '"') < 0 {
		return false
	}
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\' && i+1 < len(s) && isQuoteEscape(s[i+1]):
			i++
		case c == '"':
			quoted = !quoted
		}
	}
	return quoted
}

func isQuoteEscape(c byte) bool { return c == '"' || c == '\\' || c == '\'' }

// startsCommand reports whether a line, trimmed, is one iptables-restore
// reads on its own (a blank line is not: a quoted argument may hold one).
func startsCommand(line string) bool {
	if line == "" {
		return false
	}
	switch line[0] {
	case '-', '*', ':', '#', '[':
		return true
	}
	return line == "COMMIT"
}

// quotedLine is the logical line that starts at start, where a double
// quote is left open, and the offset after it (-1: the input's end) and
// how many more lines it took. iptables-save writes a comment holding a
// newline as it is, inside quotes: the lines that follow, up to the one
// closing the quote, belong to it, unless one of them reads as a line of
// its own. Otherwise the argument runs to the end of the line, newline
// included, as in iptables-restore.
func quotedLine(input *restoreText, start, end int) (line string, next, extra int, err error) {
	text := input.text()
	if end < 0 {
		return text[start:], -1, 0, nil
	}
	for pos, n := end+1, 1; pos < len(text); n++ {
		e, err := input.lineEnd(pos)
		if err != nil {
			return "", 0, 0, err
		}
		stop := e
		if e < 0 {
			stop = len(text)
		}
		if stop-start > MaxRestoreLine {
			break
		}
		raw := text[pos:stop]
		if startsCommand(strings.TrimSpace(raw)) {
			break
		}
		if quoteOpen(raw) { // this line closes the quote
			if e < 0 {
				return text[start:], -1, n, nil
			}
			return text[start:e], e + 1, n, nil
		}
		if e < 0 {
			break
		}
		pos = e + 1
	}
	return text[start : end+1], end + 1, 0, nil
}

// splitRestoreArgs splits a restore line into arguments, appended to
// out, as iptables-restore does: whitespace separated, double quotes
// group, and \" and \\ inside quotes stand for themselves. A quote left
// open runs to the end of the line.
func splitRestoreArgs(out []string, s string) ([]string, error) {
	// Plain fields, without copying them, unless a quote turns up.
	base, start := len(out), -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		case c == '"':
			return splitQuotedArgs(out[:base], s)
		case start < 0:
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out, checkRestoreArgs(out[base:])
}

// splitQuotedArgs is splitRestoreArgs for a line with quotes.
func splitQuotedArgs(out []string, s string) ([]string, error) {
	base := len(out)
	// An argument is a piece of s (from, to) until an escape or a quote
	// in its middle makes it differ; only then is it copied into cur.
	var cur []byte
	from, to, copied := -1, -1, false
	add := func(c byte, i int) {
		switch {
		case copied:
			cur = append(cur, c)
		case from < 0:
			from, to = i, i+1
		case to == i:
			to++
		default:
			cur = append(append(cur[:0], s[from:to]...), c)
			copied = true
		}
	}
	arg := func() string {
		a := ""
		switch {
		case copied:
			a = string(cur)
		case from >= 0:
			a = s[from:to]
		}
		from, to, copied = -1, -1, false
		return a
	}
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s) && isQuoteEscape(s[i+1]):
			add(s[i+1], i+1)
			i++
		case c == '"':
			quoted = !quoted
			in = true
		case !quoted && (c == ' ' || c == '\t'):
			if in {
				out = append(out, arg())
				in = false
			}
		default:
			add(c, i)
			in = true
		}
	}
	if in {
		out = append(out, arg())
	}
	return out, checkRestoreArgs(out[base:])
}

// checkRestoreArgs refuses a line iptables-restore cannot parse: too
// many arguments, or one too long.
func checkRestoreArgs(args []string) error {
	if len(args) > maxRestoreArgs {
		return badSpec(args[maxRestoreArgs], "Parser cannot handle more arguments")
	}
	for _, a := range args {
		if len(a) > maxRestoreParam {
			return badSpec(a[:32]+"...", "Parameter too long!")
		}
	}
	return nil
}

// appendFields appends to dst the first n fields of s (all of them when n
// is negative), split at whitespace as strings.Fields splits ASCII text;
// they are substrings of s, and nothing is allocated while dst has room.
func appendFields(dst []string, s string, n int) []string {
	for k := 0; n < 0 || k < n; k++ {
		s = strings.TrimLeft(s, " \t\n\v\f\r")
		if s == "" {
			break
		}
		end := strings.IndexAny(s, " \t\n\v\f\r")
		if end < 0 {
			end = len(s)
		}
		dst, s = append(dst, s[:end]), s[end:]
	}
	return dst
}
