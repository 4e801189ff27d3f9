// Package knft implements sigs.k8s.io/knftables' Interface (v0.0.22) over
// xtnl's nft compiler and netlink, without exec'ing nft: kube-proxy's
// nftables mode, flannel or a CNI plugin swap knftables.New for knft.New
// and keep their code.
//
// It is its own module, as bench/ is, so that knftables stays out of
// xtnl's go.mod.
//
// Start at New. A transaction is knftables' own *Transaction: knftables
// builds them with an unexported context (family and table), so New keeps
// a knftables.NewFake of the same family and table, whose NewTransaction
// is exported and carries that context, and hands out its transactions.
// Run reads a transaction through its String method — the nft text
// knftables would pipe into `nft -f -` — compiles it with
// github.com/xtnl/xtnl/nft and commits the messages in one batch. Check is
// the same batch as a dry run (the kernel evaluates it and keeps nothing).
//
// Errors: IsNotFound and IsAlreadyExists work on Run's and the List
// methods' errors as on knftables' real backend. Those functions look for
// knftables' unexported error type; knft's *Error wraps a value of that
// type taken from the Fake (a delete of a missing table, a create of an
// existing one), so no reflection or copied code is involved.
package knft
