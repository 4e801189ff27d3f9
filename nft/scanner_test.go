package nft

// scanAll returns every token of src, ending with tEOF, and the
// scanner's errors: the parser reads tokens as it goes, tests look at
// them all.
func scanAll(file, src string) ([]token, ErrorList) {
	s := &scanner{src: src, line: 1, col: 1, file: file}
	var toks []token
	for {
		t := s.next()
		toks = append(toks, t)
		if t.kind == tEOF {
			break
		}
	}
	return toks, s.errs
}
