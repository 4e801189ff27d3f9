module github.com/coreos/go-iptables

go 1.26.0

require github.com/xtnl/xtnl v0.0.0-00010101000000-000000000000

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/google/nftables v0.3.0 // indirect
	github.com/mdlayher/netlink v1.11.2 // indirect
	github.com/mdlayher/socket v0.6.0 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
	golang.org/x/net v0.55.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

// For work in this repository only (a replace in a dependency's go.mod is
// ignored): clients get the xtnl version required above from the proxy.
replace github.com/xtnl/xtnl => ../
