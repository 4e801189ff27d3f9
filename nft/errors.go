package nft

import (
	"fmt"
	"strings"
)

// Pos is a position in a script: 1-based line and column (in bytes), as
// nft reports them.
type Pos struct {
	Line, Col int
}

// Error is an error at a place in a script: nft's "file:line:col-col:
// Error: msg". Compile returns it (wrapped in an ErrorList when there are
// several) and applies nothing.
type Error struct {
	File string // "/dev/stdin", "<cmdline>" or a file name
	Pos
	EndCol int // last column of the offending text, ≥ Col
	Msg    string
	// Line text, for the caret display nft prints below the message.
	Text string
}

func (e *Error) Error() string {
	end := e.EndCol
	if end < e.Col {
		end = e.Col
	}
	return fmt.Sprintf("%s:%d:%d-%d: Error: %s", e.File, e.Line, e.Col, end, e.Msg)
}

// Display returns the error as nft prints it: the message, the offending
// line, and carets under the offending text. A command given on the
// command line ("<cmdline>") is not named, as nft's erec_print does not
// name an input buffer; an error of no place is its message alone.
func (e *Error) Display() string {
	var b strings.Builder
	switch {
	case e.Line == 0:
		return "Error: " + e.Msg
	case e.File == "<cmdline>":
		b.WriteString("Error: " + e.Msg)
	default:
		b.WriteString(e.Error())
	}
	b.WriteByte('\n')
	b.WriteString(e.Text)
	b.WriteByte('\n')
	end := e.EndCol
	if end < e.Col {
		end = e.Col
	}
	for i := 1; i < e.Col; i++ {
		if i-1 < len(e.Text) && e.Text[i-1] == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteString(strings.Repeat("^", end-e.Col+1))
	return b.String()
}

// ErrorList is every error of a script, in order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.As find the first *Error.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}
