package config

// DefaultFile is the configuration the OpenWrt package installs as
// /etc/config/safeinternet (openwrt/safeinternet/files/safeinternet.config
// holds the same text; a test keeps them equal). Every option is written out
// with its default value and explained; the household sections are
// examples, commented out.
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
	# A blocked DNS question is answered NXDOMAIN (nxdomain), 0.0.0.0 and ::
	# (null), or with the block page's address 192.0.2.1, which the router
	# sends to the web page's "why is this blocked" view (page); with this
	# TTL in seconds.
	option dns_block 'nxdomain'
	option dns_ttl '60'
	# Packets of a connection after which none is inspected any more (1 to 64).
	option guard '8'
	# Log every decision as a JSON line (1) or not (0).
	option log_decisions '0'
	# DNS server the agent asks for the addresses of SafeSearch hosts.
	option resolver '127.0.0.1:53'
	# Profile of devices nobody has assigned, new and randomised MAC addresses
	# included: a built-in profile (under6, child, preteen, teen, adult,
	# unassigned) or a profile section. Never unrestricted; "unassigned" is
	# as strict as "child" unless a profile section edits it.
	option unassigned_profile 'unassigned'
	# Daily time limits count a person's traffic in periods of this many
	# seconds; a period counts when the person's devices moved at least
	# activity_threshold bytes per minute in it (push messages and keepalives
	# stay below).
	option accounting_period '60'
	option activity_threshold '20000'
	# Until NTP has set the clock: restricted profiles follow their strictest
	# schedule state (strict), or everyone uses the clock as it is (clock).
	option unsynced_clock 'strict'
	# The web page for parents (and children's "why is this blocked"), served
	# on the LAN interfaces' addresses only, never on the WAN (0: no page).
	option ui_port '8090'
	# Origins allowed to show the page in a frame, such as LuCI's.
	#list ui_frame_ancestor 'https://192.168.1.1'
	# A code the first admin password must come with (6 to 64 characters), so
	# that nobody else on the LAN sets it first; empty: whoever comes first.
	#option ui_setup_code 'printed-on-the-label'
	# Keep the blocked names in each person's activity (1), at most 50 a day,
	# or only counts per category (0).
	option history_domains '0'

# Built-in profiles by age band: under6, child (6-11), preteen (12-15), teen
# (16-17), adult and unassigned. A profile section of the same name edits
# one; another name makes a new profile.
#config profile 'child'
#	# Defaults from an age band: under6, 6-11, 12-15, 16-17 or adult.
#	option age '6-11'
#	# A child's device: names that cannot be read or trusted are blocked,
#	# DNS bypasses are turned off, ECH is stripped from DNS answers.
#	option restricted '1'
#	# QUIC allowed (1), or dropped so that browsers use TCP (0).
#	option quic '1'
#	# SafeSearch at Google, Bing and DuckDuckGo.
#	option safesearch '1'
#	# YouTube Restricted Mode: off, moderate or strict.
#	option youtube 'strict'
#	# Categories blocked on top of the band's, or allowed out of them:
#	# adult gambling violence hate drugs weapons crime dating games social
#	# chat video vpn doh malware allowlist shopping news kids ads.
#	list block_category 'games'
#	list allow_category 'video'
#	# Schedules (sections below) and daily time limits (minutes, or 1h30m).
#	list schedule 'school_nights'
#	option daily_limit '120'
#	list category_limit 'games 60'

# A person: a profile, their own rules on top, and daily time shared by all
# their devices.
#config person 'ali'
#	option name 'Ali'
#	option profile 'child'
#	list allow 'khanacademy.org'
#	list block 'roblox.com'
#	list schedule 'homework'
#	option daily_limit '90'
#	list category_limit 'social 30'
#	# Set by the web page: a pause (until a time, or forever), extra time
#	# (schedules and limits off until then), extra minutes for one day.
#	#option pause_until '2026-12-04T21:00:00+04:00'
#	#option free_until '2026-12-04T20:30:00+04:00'
#	#list bonus '2026-12-04 30'
	#list temp_allow 'game.example 2026-12-04T20:30:00+04:00'

# A schedule: bedtime (nothing but the allowlist), focus (its categories
# blocked) or allowed (the internet only inside its windows). Windows:
# days (mon-fri, sat,sun, daily) and a time range; one ending earlier than
# it starts crosses midnight.
#config schedule 'school_nights'
#	option name 'School nights'
#	option kind 'bedtime'
#	list window 'sun-thu 21:00-07:00'
#	list window 'fri,sat 22:30-08:00'
#config schedule 'homework'
#	option kind 'focus'
#	list window 'mon-fri 16:00-18:00'
#	list block_category 'games'
#	list block_category 'social'
#	list block_category 'video'

# One section per device; the section name is optional. A device belongs
# to a person; one that belongs to nobody gets its own profile, if it has
# one, else the unassigned profile. A blocked domain blocks itself and every
# name below it: games.test blocks www.games.test.
#config device 'tablet'
#	option mac '02:00:00:00:00:0a'
#	option name 'Ali tablet'
#	option kind 'tablet'
#	option person 'ali'
#	list block 'games.test'

# Category lists: a UT1 distribution (blacklists.tar.gz or its folder,
# categories through the built-in mapping) or a list of names of one
# category in domains, hosts, adblock (||name^) or wildcard (*.name) format
# (auto: recognised per line); .gz files are read as they are.
#config category_list 'ut1'
#	option format 'ut1'
#	option path '/etc/safeinternet/lists/blacklists.tar.gz'
#config category_list 'school'
#	option format 'domains'
#	option category 'allowlist'
#	option path '/etc/safeinternet/lists/school.txt'

# The ISP's baseline: categories and settings the household cannot loosen.
#config isp 'baseline'
#	list block_category 'malware'
#	list child_block_category 'adult'
#	list block 'bad.example'
#	option safesearch '1'
#	option youtube 'moderate'
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
