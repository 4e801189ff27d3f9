package compat

// hbh: -m hbh [!] --hbh-len N --hbh-opts TYPE[:LEN][,...] (IPv6 only;
// struct ip6t_opts, 39 bytes), laid out and parsed as dst (match_dst.go).

func init() { dstRegister("hbh") }
