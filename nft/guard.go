package nft

import (
	"fmt"
	"runtime/debug"
)

// InternalError is a bug of this package caught at its API boundary: the
// compiler or printer met a case it does not handle and, rather than
// panic in the caller's process, says so. Nothing was applied.
type InternalError struct {
	What  string // "compile" or "list"
	Value any    // what was raised
	Stack string
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("Error: internal error in nft %s: %v", e.What, e.Value)
}

// guard turns a panic below an exported function into an *InternalError
// in *err. Deferred by Compile and the List functions.
func guard(what string, err *error) {
	if r := recover(); r != nil {
		*err = &InternalError{What: what, Value: r, Stack: string(debug.Stack())}
	}
}
