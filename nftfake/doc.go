// Package nftfake is an nf_tables kernel in memory, for unit tests.
//
// It answers the netlink messages of package xtnl as nf_tables (Linux 6.x)
// does: batches are applied to a copy of the ruleset and swapped in only
// when every message succeeded, with one NLMSG_ERROR per refused message
// and the batch-end ACK only on success; handles come from per-table
// counters that, as in the kernel, are not rolled back by an aborted
// batch; the generation id moves on every commit that changed something.
// Message types it does not implement are refused with EOPNOTSUPP. The
// suite in xtnl's fake_test.go runs every scenario against the kernel and
// against the fake, and requires the same answers.
//
// A connection reaches it through xtnl.OpenFake, which keeps the real
// connection code (encoder, transaction engine, decoding) above it: a
// program tested against the fake exercises the code it runs in
// production, only the kernel is replaced. A test holds the Kernel to look
// at what its code left behind: Tables for typed values, Dump for the
// ruleset as `nft --debug=netlink list ruleset` prints it.
//
// Limits: no packets flow, so counters only change when set or reset;
// interfaces other than "lo" do not exist; objects, object maps and
// flowtables are not implemented yet (EOPNOTSUPP); loops between chains
// and overlapping intervals in sets are not detected; nothing can watch
// its events.
//
// Files: kernel.go (the sockets and the kernel's front door), state.go
// (objects and dumps), batch.go (transactions: tables, chains, rules),
// chain.go (chains), set.go and setelem.go (sets, maps and their
// elements), inspect.go (what tests read).
package nftfake
