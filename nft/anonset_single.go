package nft

// An anonymous set of one element is that element (expr_evaluate_set in
// nft 1.0.6's evaluate.c): "tcp dport { 22 }" is "tcp dport 22",
// "ip saddr != { 10.0.0.0/8 }" is "ip saddr != 10.0.0.0/8", with no set
// at all. Only a lookup's set: maps and a set of elements of a
// concatenation stay sets.

// unwrapSingletonSets replaces, in the matches of stmts, each set of a
// single value, range or prefix with that element.
func unwrapSingletonSets(stmts []Stmt) []Stmt {
	for _, s := range stmts {
		m, ok := s.(*matchStmt)
		if !ok {
			continue
		}
		set, ok := m.rel.r.(*setExpr)
		if !ok || len(set.elems) != 1 {
			continue
		}
		key := set.elems[0]
		if el, ok := key.(*elemExpr); ok {
			key = el.key // its options go with the set
		}
		switch key.(type) {
		case *concatExpr, *setExpr, *setRefExpr, *mappingExpr, *catchallExpr, *binopExpr:
			continue
		}
		m.rel.r = key
	}
	return stmts
}
