package main

import (
	"fmt"
	"strings"

	"github.com/xtnl/xtnl/compat"
)

// iptablesHelp is what iptables -h prints (xtables_printhelp) for a
// program name and family. The help of extensions named on the command
// line (iptables -p tcp -h) is not printed.
func iptablesHelp(prog string, fam compat.Family) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s v1.8.9 (nf_tables)\n\n", prog)
	for i, u := range helpUsage {
		lead := "Usage: "
		if i > 0 {
			lead = "       "
		}
		fmt.Fprintf(&b, "%s%s %s\n", lead, prog, u)
	}
	b.WriteString("\n" + helpCommands)
	four, six := "Nothing", "Error"
	if fam == compat.IPv6 {
		four, six = six, four
	}
	fmt.Fprintf(&b, "    --ipv4\t-4\t\t%s (line is ignored by ip6tables-restore)\n", four)
	fmt.Fprintf(&b, "    --ipv6\t-6\t\t%s (line is ignored by iptables-restore)\n", six)
	b.WriteString(helpOptions)
	if fam == compat.IPv4 {
		b.WriteString("[!] --fragment\t-f\t\tmatch second or further fragments only\n")
	}
	b.WriteString(helpTail)
	return b.String()
}

var helpUsage = []string{
	"-[ACD] chain rule-specification [options]",
	"-I chain [rulenum] rule-specification [options]",
	"-R chain rulenum rule-specification [options]",
	"-D chain rulenum [options]",
	"-[LS] [chain [rulenum]] [options]",
	"-[FZ] [chain] [options]",
	"-[NX] chain",
	"-E old-chain-name new-chain-name",
	"-P chain target [options]",
	"-h (print this help information)",
}

const helpCommands = `Commands:
Either long or short options are allowed.
  --append  -A chain		Append to chain
  --check   -C chain		Check for the existence of a rule
  --delete  -D chain		Delete matching rule from chain
  --delete  -D chain rulenum
				Delete rule rulenum (1 = first) from chain
  --insert  -I chain [rulenum]
				Insert in chain as rulenum (default 1=first)
  --replace -R chain rulenum
				Replace rule rulenum (1 = first) in chain
  --list    -L [chain [rulenum]]
				List the rules in a chain or all chains
  --list-rules -S [chain [rulenum]]
				Print the rules in a chain or all chains
  --flush   -F [chain]		Delete all rules in  chain or all chains
  --zero    -Z [chain [rulenum]]
				Zero counters in chain or all chains
  --new     -N chain		Create a new user-defined chain
  --delete-chain
            -X [chain]		Delete a user-defined chain
  --policy  -P chain target
				Change policy on chain to target
  --rename-chain
            -E old-chain new-chain
				Change chain name, (moving any references)

Options:
`

const helpOptions = `[!] --protocol	-p proto	protocol: by number or name, eg. ` + "`" + `tcp'
[!] --source	-s address[/mask][...]
				source specification
[!] --destination -d address[/mask][...]
				destination specification
[!] --in-interface -i input name[+]
				network interface name ([+] for wildcard)
 --jump	-j target
				target for rule (may load target extension)
  --goto      -g chain
			       jump to chain with no return
  --match	-m match
				extended match (may load extension)
  --numeric	-n		numeric output of addresses and ports
[!] --out-interface -o output name[+]
				network interface name ([+] for wildcard)
  --table	-t table	table to manipulate (default: ` + "`" + `filter')
  --verbose	-v		verbose mode
  --wait	-w [seconds]	maximum wait to acquire xtables lock before give up
  --line-numbers		print line numbers when listing
  --exact	-x		expand numbers (display exact values)
`

const helpTail = `  --modprobe=<command>		try to insert modules using this command
  --set-counters -c PKTS BYTES	set the counter during insert/append
[!] --version	-V		print package version.
`
