package main

import "testing"

// TestNftCommandLines replays testdata/nft_cli_lines.txt against this
// binary and against nft 1.0.6, both invoked as nft (see replay): scripts
// of testdata/nft/ loaded with -f, listings with their options, rule and
// element commands, and the error cases with their messages and carets.
// testdata/nft_cli_known_differences.txt lists today's differences.
func TestNftCommandLines(t *testing.T) {
	replay(t, "testdata/nft_cli_lines.txt", "testdata/nft_cli_known_differences.txt", "nft 1.0.6")
}
