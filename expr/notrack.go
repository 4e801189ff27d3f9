package expr

// formatNotrack prints nothing: notrack has no attributes, "[ notrack ]".
func formatNotrack(byte, attrs) string { return "" }
