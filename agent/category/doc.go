// Package category holds the agent's content categories and the compiled,
// memory-frugal set of listed domains that maps a name to its categories.
//
// Sources (the UT1 archive, lists in domains, hosts, adblock or wildcard
// form) are streamed by ReadUT1, ReadList and Load; a Mapping, which is data
// (mapping.tsv, embedded), turns source category names into our IDs. A
// Builder compiles (domain, Set) pairs into a Matcher, which answers "which
// categories list this name or one of its parent domains" without allocating.
//
// # Memory layout
//
// A Matcher does not keep the names. Each listed domain is reduced to a
// 64-bit hash (see hash.go) and stored as a 48-bit fingerprint plus a one-byte
// index into a small table of distinct Sets, in flat, pointer-free arrays
// ([]uint32, []uint16, []uint8): about 8 bytes per domain on every
// architecture, and nothing for the garbage collector to scan. The price is a
// false-positive probability per lookup of about labels × N / 2^64 (N listed
// domains; a 5-label name against 1 M domains: ~3e-13), and that a Matcher
// cannot list its names back. The hash is fixed and seeded by a constant, so
// the compiled form (WriteTo, ReadMatcher) is portable across architectures
// and byte orders. It is not a cryptographic hash: a name crafted to collide
// with a listed one is possible in principle, so the allowlist must not be
// the only barrier for anything that matters.
//
// # Rebuilds
//
// The domains are split into Shards shards by hash. Rebuild replaces one
// shard at a time (one pass over the sources per shard), so that a list
// update costs about 1/Shards of a matcher on top of the one in use, instead
// of a second full copy.
package category
