package compat

// Option is one command-line option of an extension, declared as iptables
// declares one in a struct xt_option_entry: how its argument is read
// (Type, Min, Max), whether it may be negated or repeated (Flags), which
// options it cannot be used with or needs (Excl, Also). The engine
// (engine.go) enforces all of it in iptables' words before the
// extension's Parse sees the option; Parse is left with what only the
// extension knows, and names the payload's fields as it stores the value.
//
// iptables can also store a value itself (XTOPT_PUT, a pointer into the
// payload). Here the payload is a Go struct held by value while Parse
// runs, and a pointer into it handed to the engine would move it to the
// heap on every option; storing is one named assignment in Parse instead.
type Option struct {
	// Name is the long name without dashes ("dport"); Aliases are other
	// accepted spellings ("destination-port").
	Name    string
	Aliases []string
	// ID is the option's bit in the set of options given (iptables'
	// entry id and xflags bit): below 32, and the same for two options
	// only when they are two spellings of one ("--ttl" and "--ttl-eq").
	// Excl, Also and OneOf.IDs are sets of these bits.
	ID int
	// Type says how the argument is read (TypeNone: a flag).
	Type OptionType
	// Min and Max bound a numeric option (Max 0: the type's maximum), or
	// the length of a TypeString one (0: no bound).
	Min, Max uint64
	// Flags: Invert, Multi, Mandatory, ExclAtOnce, MinusWraps.
	Flags OptionFlag
	// Excl are the options this one cannot be used together with; Also
	// those it needs. Both are checked once every option is parsed
	// (xtables_options_fcheck); Excl as soon as the option is given when
	// it has ExclAtOnce.
	Excl, Also uint32
	// NameFile, for TypeMarkMask, is the iproute2 table whose names the
	// value may be given as (/etc/iproute2/rt_realms).
	NameFile string
	// Hooks, when set, are the built-in chains the kernel allows the
	// option in (devgroup's --src-group and --dst-group differ).
	Hooks []string
}

// OptionType says how the engine reads an option's argument and what it
// leaves in OptionCall.Val.
type OptionType uint8

// Option types, after libxtables' XTTYPE_*: only those whose reading and
// messages are the same wherever they are used. An option read any other
// way is TypeString, and its extension reads it.
const (
	// TypeNone is a flag: no argument.
	TypeNone OptionType = iota
	// TypeString is one argument, left as given (OptionCall.Arg).
	TypeString
	// TypeString2 is two arguments, left as given (OptionCall.Args).
	TypeString2
	// TypeUint8 to TypeUint64 are a number within [Min, Max], as
	// xtopt_parse_int reads it (Val.Uint).
	TypeUint8
	TypeUint16
	TypeUint32
	TypeUint64
	// TypeUint16Range to TypeUint64Range are "a[:b]", as xtopt_parse_mint
	// reads it (Val.Range; Val.N numbers were given).
	TypeUint16Range
	TypeUint32Range
	TypeUint64Range
	// TypeMarkMask is "value[/mask]" (or a name from NameFile), as
	// xtables_parse_val_mask reads it (Val.Mark, Val.Mask).
	TypeMarkMask
	// TypeOptional is an argument that may be left out, as the old
	// parsers that look at the next word themselves take one (rateest's
	// rates): the next token, unless there is none or it starts with '-'
	// or '!' (OptionCall.Args is then empty).
	TypeOptional
)

// OptionFlag is a set of an option's properties.
type OptionFlag uint8

// Option flags, after libxtables' XTOPT_*.
const (
	// Invert allows "! --opt" (XTOPT_INVERT).
	Invert OptionFlag = 1 << iota
	// Multi allows the option more than once (XTOPT_MULTI); any other is
	// refused a second time.
	Multi
	// Mandatory options must be given whenever the extension is used
	// (XTOPT_MAND).
	Mandatory
	// ExclAtOnce refuses a conflict with Excl as soon as the option is
	// given, before its argument is read, rather than once every option
	// is parsed: the ttl, dscp and multiport matches have always done so,
	// and it decides which error a rule with two mistakes gets.
	ExclAtOnce
	// MinusWraps reads a number as C's strtoul does, where a '-' negates
	// modulo 2^64 (so only "-0" passes a bounded range), instead of
	// refusing the '-' as xtables_strtoul does: the options that have
	// always been read so still are.
	MinusWraps
)

// args is how many arguments an option of the type takes.
func (t OptionType) args() int {
	switch t {
	case TypeNone:
		return 0
	case TypeString2:
		return 2
	}
	return 1
}

// maxOf is the largest value of a numeric type.
func (t OptionType) maxOf() uint64 {
	switch t {
	case TypeUint8:
		return 1<<8 - 1
	case TypeUint16, TypeUint16Range:
		return 1<<16 - 1
	case TypeUint32, TypeUint32Range, TypeMarkMask:
		return 1<<32 - 1
	}
	return 1<<64 - 1
}

// Value is an option's argument as the engine read it, by type.
type Value struct {
	// Uint is a TypeUint8..TypeUint64 number.
	Uint uint64
	// Range is a TypeUint*Range "a[:b]": b is a when only a was given;
	// N counts the numbers given (1 or 2).
	Range [2]uint64
	N     int
	// Mark and Mask are a TypeMarkMask "value[/mask]" (Mask all ones
	// when none was given).
	Mark, Mask uint32
}

// OptionCall is one occurrence of an option, checked and read by the
// engine, as the extension's Parse gets it (iptables' struct
// xt_option_call). The parser reuses it from one option to the next.
type OptionCall struct {
	*ParseContext
	// Option is the option as declared (whichever alias was typed).
	Option *Option
	// Args are its arguments as given (none for a flag, two for
	// TypeString2).
	Args []string
	// Invert tells whether "!" preceded it.
	Invert bool
	// Val is the argument as the option's Type reads it.
	Val Value
}

// Arg is the option's first argument ("" for a flag).
func (c *OptionCall) Arg() string {
	if len(c.Args) == 0 {
		return ""
	}
	return c.Args[0]
}

// OneOf declares that an extension needs at least one of some options:
// iptables has no flag for it, each extension's final check says so in
// its own words (Msg, reported against Token).
type OneOf struct {
	IDs        uint32
	Token, Msg string
}

// bit is the option's bit in a set of option IDs.
func (o *Option) bit() uint32 { return 1 << o.ID }
