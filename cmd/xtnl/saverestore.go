package main

import (
	"io"
	"os"

	"github.com/xtnl/xtnl/compat"
)

// runSave is iptables-save: xtnl save [--netns NS] [-4|-6] [-t TABLE] [-c].
func runSave(args []string, stdout, stderr io.Writer) int {
	var netns, table string
	proto := compat.ProtocolIPv4
	var opts []compat.SaveOption
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--netns", "-t", "--table":
			if i+1 >= len(args) {
				return fail(stderr, "iptables-save", &usageError{"option \"" + args[i] + "\" requires an argument"})
			}
			if args[i] == "--netns" {
				netns = args[i+1]
			} else {
				table = args[i+1]
			}
			i++
		case "-4":
			proto = compat.ProtocolIPv4
		case "-6":
			proto = compat.ProtocolIPv6
		case "-c", "--counters":
			opts = append(opts, compat.SaveCounters())
		default:
			return fail(stderr, "iptables-save", &usageError{"unknown argument " + args[i]})
		}
	}
	ipt, err := newIPT(proto, netns)
	if err != nil {
		return fail(stderr, "iptables-save", err)
	}
	return fail(stderr, "iptables-save", ipt.Save(stdout, table, opts...))
}

// runRestore is iptables-restore: xtnl restore [--netns NS] [-4|-6]
// [--noflush] [-c] [FILE].
func runRestore(args []string, stdin io.Reader, stderr io.Writer) int {
	var netns, file string
	proto := compat.ProtocolIPv4
	var opts []compat.RestoreOption
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--netns":
			if i+1 >= len(args) {
				return fail(stderr, "iptables-restore", &usageError{"option \"--netns\" requires an argument"})
			}
			netns = args[i+1]
			i++
		case "-4":
			proto = compat.ProtocolIPv4
		case "-6":
			proto = compat.ProtocolIPv6
		case "-n", "--noflush":
			opts = append(opts, compat.NoFlush())
		case "-c", "--counters":
			opts = append(opts, compat.RestoreCounters())
		default:
			if file != "" || len(args[i]) > 1 && args[i][0] == '-' {
				return fail(stderr, "iptables-restore", &usageError{"unknown argument " + args[i]})
			}
			file = args[i]
		}
	}
	in := stdin
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return fail(stderr, "iptables-restore", err)
		}
		defer f.Close()
		in = f
	}
	ipt, err := newIPT(proto, netns)
	if err != nil {
		return fail(stderr, "iptables-restore", err)
	}
	return fail(stderr, "iptables-restore", ipt.Restore(in, opts...))
}

func newIPT(proto compat.Protocol, netns string) (*compat.IPTables, error) {
	if netns != "" {
		return compat.New(compat.IPFamily(proto), compat.NetNS(netns))
	}
	return compat.New(compat.IPFamily(proto))
}
