package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// machine describes where the numbers come from: they only mean something
// next to the CPUs, the kernel and the tools' versions.
func machine() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("nproc %d", runtime.NumCPU()))
	if m := cpuModel(); m != "" {
		parts = append(parts, "CPU "+m)
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		parts = append(parts, "kernel "+unix.ByteSliceToString(u.Release[:]))
	}
	for _, tool := range []string{"iptables", "nft"} {
		if out, err := exec.Command(tool, "--version").Output(); err == nil {
			parts = append(parts, strings.TrimSpace(string(out)))
		}
	}
	parts = append(parts, runtime.Version())
	return strings.Join(parts, ", ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
