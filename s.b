table netdev t {
	chain c {
		ether type 0x1234 accept
		ether type 0x0806 accept
		ip ecn 0x3 accept
		ip ecn 0x1 accept
		ether type 0x8100 accept
	}
}
