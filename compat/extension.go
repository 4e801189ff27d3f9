package compat

import (
	"fmt"
	"sort"
	"strings"
)

// An Extension is one iptables match (-m NAME) or target (-j NAME): its
// options, the kernel structure it fills (the xt "info" payload), how it
// prints, and, for the few iptables-nft translates into native nftables
// expressions, that translation. Each lives in its own file
// (match_NAME.go, target_NAME.go) and registers itself from init.
type Extension struct {
	// Name is what -m / -j take; KernelName, when set, the xt name sent to
	// the kernel (-m state is sent as conntrack).
	Name       string
	KernelName string
	Target     bool
	// Family is the families the extension exists in (bit mask).
	Family Family
	// Revision is the xt revision iptables-nft 1.8.9 sends on this kernel.
	Revision uint32
	// Size is the kernel structure's size; the payload sent is it rounded
	// up to 8 bytes (XT_ALIGN).
	Size int
	// Options are the extension's command-line options, which the option
	// engine (engine.go) checks before Parse sees them.
	Options []Option
	// OneOf, when set, refuses the extension unless one of the options it
	// names was given.
	OneOf *OneOf
	// Proto, when not zero, is the protocol the rule's -p must be for the
	// extension to be used (the kernel's xt_match.proto and
	// xt_target.proto, which refuse a negated -p too): the kernel checks
	// it, and compat, as iptables-nft, relays its refusal (exit status 4).
	// ProtoUserspace says that iptables-nft checks it first, by the number
	// only, in its own words (tcp and udp, which it translates itself).
	Proto          uint8
	ProtoUserspace bool
	// Init sets the structure's defaults before options are parsed.
	Init func(info []byte, ctx *ParseContext)
	// Parse handles one occurrence of an option, after the engine checked
	// it and read its argument (c.Val).
	Parse func(info []byte, c *OptionCall) error
	// Final checks the structure once all options are parsed, after the
	// engine's own final checks, or, with FinalFirst, before them (as
	// libxtables runs an x6_fcheck before xtables_options_fcheck: it
	// decides which error a rule with several mistakes gets).
	Final      func(info []byte, ctx *ParseContext) error
	FinalFirst bool
	// Save prints the options as iptables -S does, each preceded by a
	// space (" --dport 22").
	Save func(info []byte, w *Writer)
	// Print writes what `iptables -L -n` shows of the payload in its
	// options column, each piece preceded by a space (" tcp dpt:22").
	Print func(info []byte, w *Writer)
	// SaveName, when set, returns the name printed after -m / -j for this
	// payload (a CT payload with the NOTRACK alias bit prints as NOTRACK).
	SaveName func(info []byte) string
	// Claims decides whether a decoded payload of KernelName/Revision
	// belongs to this extension (several share a kernel name, as state
	// and conntrack do); nil claims whatever no other claims.
	Claims func(info []byte) bool
	// Native, when set, translates the payload into native expressions as
	// iptables-nft does, appending them to b encoded (with package expr's
	// appenders); ok false means it falls back to the xt form, and
	// whatever it appended is dropped.
	Native func(info []byte, ctx EncodeContext, b []byte) (out []byte, ok bool)
	// Tables and Hooks restrict where the extension may be used (nil:
	// anywhere; Hooks name built-in chains, user chains are checked by the
	// kernel when jumped to): checked before anything reaches the kernel,
	// as the kernel would.
	Tables []string
	Hooks  []string

	// optionByName finds an option by its exact name or alias (set by
	// Register): the parser looks every option token up, so one look-up
	// beats a scan of the options and their aliases.
	optionByName map[string]int
	// mandatory lists the indexes of the Mandatory options (set by
	// Register), so a parse does not walk every option to find none.
	mandatory []int
}

// Family is a bit mask of address families.
type Family uint8

// Families an extension exists in.
const (
	IPv4 Family = 1 << iota
	IPv6
	Both = IPv4 | IPv6
)

// XTAlign rounds a structure size up as the kernel's XT_ALIGN does.
func XTAlign(n int) int { return (n + 7) &^ 7 }

var (
	matches = map[string][]*Extension{}
	targets = map[string][]*Extension{}
	// kernelMatches and kernelTargets index them by the name sent to the
	// kernel, for decoding (several extensions may share one).
	kernelMatches = map[string][]*Extension{}
	kernelTargets = map[string][]*Extension{}
)

// Register adds an extension; called from the extensions' init functions.
func Register(e *Extension) {
	if e.KernelName == "" {
		e.KernelName = e.Name
	}
	if e.Family == 0 {
		e.Family = Both
	}
	e.optionByName = map[string]int{}
	e.mandatory = nil
	for i := range e.Options {
		o := &e.Options[i]
		if o.ID < 0 || o.ID >= 32 {
			panic("compat: " + e.String() + " option --" + o.Name + ": ID out of range")
		}
		if o.Flags&Mandatory != 0 {
			e.mandatory = append(e.mandatory, i)
		}
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			if _, dup := e.optionByName[n]; !dup {
				e.optionByName[n] = i
			}
		}
	}
	if e.Target {
		targets[e.Name] = append(targets[e.Name], e)
		kernelTargets[e.KernelName] = append(kernelTargets[e.KernelName], e)
	} else {
		matches[e.Name] = append(matches[e.Name], e)
		kernelMatches[e.KernelName] = append(kernelMatches[e.KernelName], e)
	}
}

func lookup(m map[string][]*Extension, name string, fam Family) *Extension {
	for _, e := range m[name] {
		if e.Family&fam != 0 {
			return e
		}
	}
	return nil
}

// lookupKernel finds the extension that decodes a payload the kernel
// holds. A revision compat does not have is read as iptables-nft 1.8.9
// reads it: with the extension -m/-j NAME parses (its newest), whatever
// the payload's revision (nft_parse_match and nft_parse_target look the
// extension up by name only); the caller pads a shorter payload.
func lookupKernel(target bool, name string, rev uint32, fam Family, info []byte) *Extension {
	m, byName := kernelMatches, matches
	if target {
		m, byName = kernelTargets, targets
	}
	if e := lookupKernelRev(m, name, rev, fam, info); e != nil {
		return e
	}
	return lookup(byName, name, fam)
}

func lookupKernelRev(m map[string][]*Extension, name string, rev uint32, fam Family, info []byte) *Extension {
	var fallback *Extension
	for _, e := range m[name] {
		if e.Family&fam == 0 || e.Revision != rev {
			continue
		}
		if e.Claims == nil {
			fallback = e
			continue
		}
		if e.Claims(info) {
			return e
		}
	}
	return fallback
}

// ExtensionNames lists the registered matches and targets, sorted.
func ExtensionNames() (matchNames, targetNames []string) {
	for n := range matches {
		matchNames = append(matchNames, n)
	}
	for n := range targets {
		targetNames = append(targetNames, n)
	}
	sort.Strings(matchNames)
	sort.Strings(targetNames)
	return
}

// ExtensionHasOption reports whether the match (or target) name of the
// family has an option called exactly opt (without "--"): once the
// extension is loaded, iptables' getopt_long table holds it, and an exact
// name wins over an abbreviation of iptables' own options ("--pol" of -m
// policy is not --policy).
func ExtensionHasOption(fam Family, name string, target bool, opt string) bool {
	m := matches
	if target {
		m = targets
	}
	e := lookup(m, name, fam)
	if e == nil {
		return false
	}
	_, ok := e.optionByName[opt]
	return ok
}

// findOption resolves "--name" (or a unique abbreviation, as getopt_long
// allows) among the extension's options.
func (e *Extension) findOption(name string) (*Option, bool) {
	var prefix *Option
	ambiguous := false
	for i := range e.Options {
		o := &e.Options[i]
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			if n == name {
				return o, true
			}
			if strings.HasPrefix(n, name) {
				if prefix != nil && prefix != o {
					ambiguous = true
				}
				prefix = o
			}
		}
	}
	if prefix != nil && !ambiguous {
		return prefix, true
	}
	return nil, false
}

func (e *Extension) kind() string {
	if e.Target {
		return "target"
	}
	return "match"
}

func (e *Extension) String() string { return fmt.Sprintf("%s %s", e.kind(), e.Name) }
