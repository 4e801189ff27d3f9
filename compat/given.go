package compat

import (
	"runtime"
	"sync"
	"weak"
)

// parseState is what iptables keeps beside a payload while parsing it and
// the kernel structure alone cannot tell: which options were given (its
// xflags; "--ttl-eq 0" and no option at all leave the same bytes) and a
// couple of values parsed before Final (its udata, for RATEEST).
type parseState struct {
	flags uint32
	vals  [2]uint32
}

// parseStates maps a payload being parsed (by the address of its first
// byte) to its state. Keys are weak and removed by a cleanup, so an
// abandoned parse leaks nothing.
var parseStates = struct {
	sync.Mutex
	m map[weak.Pointer[byte]]*parseState
}{m: map[weak.Pointer[byte]]*parseState{}}

// withParseState runs f on the state of payload info under the lock. An
// empty payload has no identity: f gets a fresh state that is not kept.
func withParseState[T any](info []byte, f func(*parseState) T) T {
	if len(info) == 0 {
		return f(&parseState{})
	}
	k := weak.Make(&info[0])
	parseStates.Lock()
	defer parseStates.Unlock()
	st, ok := parseStates.m[k]
	if !ok {
		st = &parseState{}
		parseStates.m[k] = st
		runtime.AddCleanup(&info[0], func(k weak.Pointer[byte]) {
			parseStates.Lock()
			delete(parseStates.m, k)
			parseStates.Unlock()
		}, k)
	}
	return f(st)
}

// optionsGiven returns the option IDs given so far for payload info, as a
// bit mask (1<<id).
func optionsGiven(info []byte) uint32 {
	return withParseState(info, func(st *parseState) uint32 { return st.flags })
}

// markGiven records the options in mask as given for payload info and
// returns the mask as it was before.
func markGiven(info []byte, mask uint32) uint32 {
	return withParseState(info, func(st *parseState) uint32 {
		prev := st.flags
		st.flags |= mask
		return prev
	})
}

// setParseVal keeps value v in slot i (0 or 1) for payload info until its
// Final runs.
func setParseVal(info []byte, i int, v uint32) {
	withParseState(info, func(st *parseState) struct{} {
		st.vals[i] = v
		return struct{}{}
	})
}

// parseVals returns the values kept for payload info by setParseVal.
func parseVals(info []byte) [2]uint32 {
	return withParseState(info, func(st *parseState) [2]uint32 { return st.vals })
}
