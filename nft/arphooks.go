package nft

// The arp family numbers its hooks apart (NF_ARP_IN, NF_ARP_OUT,
// NF_ARP_FORWARD): input is 0 there, not prerouting.
var (
	arpHookNums  = map[string]uint32{"input": 0, "output": 1, "forward": 2}
	arpHookNames = map[uint32]string{0: "input", 1: "output", 2: "forward"}
)
