package nft

// mergePayloads joins adjacent equality matches on adjacent header bytes
// into one wider match, as nft's payload merging does (tcp sport 1 tcp
// dport 2 loads four bytes once). Not done yet: statements pass through.
func mergePayloads(stmts []Stmt) []Stmt { return stmts }
