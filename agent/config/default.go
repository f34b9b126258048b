package config

// DefaultFile is the configuration the OpenWrt package installs as
// /etc/config/safeinternet (openwrt/safeinternet/files/safeinternet.config
// holds the same text; a test keeps them equal). Every option is written out
// with its default value and explained; the device section is an example,
// commented out.
const DefaultFile = `# Safe Internet: configuration of the agent.
# Apply changes with: /etc/init.d/safeinternet reload

config agent 'main'
	# Schema version of this file.
	option version '1'
	# LAN interfaces whose traffic is inspected, one list line each.
	list lan 'br-lan'
	# First NFQUEUE number, and how many queues from it (1 to 64).
	option queue '0'
	option queues '1'
	# Bits of the conntrack mark the agent owns: one run of at least two
	# contiguous bits, clear of the bits mwan3 (0x3f00) and pbr (0xff0000) use.
	option ct_mark_mask '0x7f000000'
	# Traffic the agent cannot inspect is dropped (closed) or accepted (open).
	option fail_mode 'closed'
	# A blocked DNS question is answered NXDOMAIN (nxdomain) or 0.0.0.0 and ::
	# (null), with this TTL in seconds.
	option dns_block 'nxdomain'
	option dns_ttl '60'
	# Packets of a connection after which none is inspected any more (1 to 64).
	option guard '8'
	# Log every decision as a JSON line (1) or not (0).
	option log_decisions '0'
	# DNS server the agent asks for the addresses of SafeSearch hosts.
	option resolver '127.0.0.1:53'
	# Profile of devices without a device section (none: unrestricted).
	#option unassigned_profile 'child'

# A profile is a set of protections that devices refer to by its name.
#config profile 'child'
#	# A child's device: names that cannot be read or trusted are blocked,
#	# DNS bypasses are turned off, ECH is stripped from DNS answers.
#	option restricted '1'
#	# QUIC allowed (1), or dropped so that browsers use TCP (0).
#	option quic '1'
#	# SafeSearch at Google, Bing and DuckDuckGo (default: as restricted).
#	option safesearch '1'
#	# YouTube Restricted Mode: off, moderate or strict (default: moderate
#	# when restricted).
#	option youtube 'moderate'

# One section per device; the section name is optional. A blocked domain
# blocks itself and every name below it: games.test blocks www.games.test.
#config device 'tablet'
#	option mac '02:00:00:00:00:0a'
#	option name 'Ali tablet'
#	option profile 'child'
#	list block 'games.test'
#	list block 'video.test'
`

// DemoFile is the configuration of the demonstration lab (make demo): the
// defaults, decisions logged, and one device, 02:00:00:00:00:0a, with the
// restricted profile "child", that may not reach games.test or video.test.
const DemoFile = `# Safe Internet: demonstration configuration.

config agent 'main'
	list lan 'br-lan'
	option queue '0'
	option queues '1'
	option ct_mark_mask '0x7f000000'
	option fail_mode 'closed'
	option dns_block 'nxdomain'
	option dns_ttl '60'
	option guard '8'
	option log_decisions '1'

config profile 'child'
	option restricted '1'

config device 'tablet'
	option mac '02:00:00:00:00:0a'
	option name 'Ali tablet'
	option profile 'child'
	list block 'games.test'
	list block 'video.test'
`
