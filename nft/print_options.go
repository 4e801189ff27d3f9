package nft

// PrintOptions are nft's output flags.
type PrintOptions struct {
	Handles   bool // -a
	Numeric   bool // -n: numbers, not names (repeatable in nft; one level here)
	Services  bool // -S: service names for ports
	Stateless bool // -s: no counter values or quota usage
	// numericTime prints times as whole seconds, as nft does inside
	// ranges (NFT_CTX_OUTPUT_NUMERIC_TIME).
	numericTime bool
	// numericPrio (-y) prints chain priorities as numbers, terse (-t)
	// leaves sets' elements out, guid (-u) prints user and group names.
	numericPrio, terse, guid bool
}
