// Package nft compiles nft's language (what `nft -f` reads, nftables
// 1.0.6) into one xtnl transaction, without exec'ing nft, and prints what
// the kernel holds as nft does.
//
// The files follow nft's own: scanner.go and parser.go / parse_expr.go
// (the grammar), datatype.go (types and their values), one file per
// expression or statement kind holding its syntax, dependencies,
// linearization and printing (payload.go, meta.go, ct.go, verdict.go,
// stmt_basic.go, ...), match.go and anonset.go (relational matches and
// anonymous sets), merge.go (nft's joining of adjacent payload matches)
// with etherdep.go (the ether type dependencies it joins),
// concat_order.go (byte order inside interval concatenations), compile.go
// (commands to netlink messages, laid out as libnftnl lays them out),
// pipeline.go (Compile's parser in its own goroutine, ahead of
// evaluation), and list.go, set_print.go and rule_print.go (the printer:
// kernel expressions back to text). parse_recover.go is nft's error
// recovery (the next line of the innermost block), keywords.go the words
// bison names as tokens; errloc.go and misspell.go place the kernel's
// refusals and nft's guesses of a misspelt table or chain.
//
// Where to start: Compile returns a Program; Apply commits its messages
// in one batch (AddTo appends them to an xtnl.Tx of yours), Check is the
// dry run of `nft --check`. Errors name line and column (*Error in an
// ErrorList; errors.As works) and nothing is applied; a bug of this
// package surfaces as *InternalError, never as a panic. ListRuleset and
// ListTable print; ObjectNames, Rules, Elements and Counters (inspect.go)
// answer structured questions, for adapters such as the knftables one in
// ../knft. Main is the command line (main.go, main_args.go for nft's
// options, list_cmds.go for its list and reset commands). conformance_test.go checks all of it
// against nft 1.0.6's own test suite (see there).
package nft
