module github.com/xtnl/xtnl/tools/cni-dropin

go 1.26.0
