module github.com/xtnl/xtnl/bench

go 1.26.0

require (
	github.com/coreos/go-iptables v0.8.0
	github.com/xtnl/xtnl v0.0.0-00010101000000-000000000000
	golang.org/x/sys v0.50.0
	sigs.k8s.io/knftables v0.0.22
)

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/google/nftables v0.3.0 // indirect
	github.com/jsimonetti/rtnetlink/v2 v2.3.0 // indirect
	github.com/mdlayher/netlink v1.11.2 // indirect
	github.com/mdlayher/socket v0.6.1 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
	golang.org/x/net v0.57.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
)

replace github.com/xtnl/xtnl => ../
