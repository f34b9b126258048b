package category

// The fingerprint hash: FNV-1a 64 run over the name from its last byte to its
// first, then the length, then the MurmurHash3 64-bit finalizer for
// avalanche. Running backwards lets Lookup hash every suffix of a name
// (a.b.example.com, b.example.com, example.com, com) in one pass: when the
// loop reaches a label boundary, the state is the hash of that suffix alone.
// The constants are fixed (no per-process seed) so that a compiled matcher
// means the same on every architecture; changing any of them requires a new
// format version (see codec.go).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix is the MurmurHash3 fmix64 finalizer; length is folded in first.
func mix(h uint64, length int) uint64 {
	h ^= uint64(length)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// hashName returns the fingerprint hash of a whole name.
func hashName(name []byte) uint64 {
	h := uint64(fnvOffset)
	for i := len(name) - 1; i >= 0; i-- {
		h ^= uint64(name[i])
		h *= fnvPrime
	}
	return mix(h, len(name))
}

// Layout of the 64-bit hash h of a listed name, for a shard of b bucket bits:
//
//	bits 63..60          shard (Shards = 16)
//	next b bits          bucket inside the shard (about 4 entries a bucket)
//	next 48 bits         fingerprint stored per entry (hi: 32 bits, lo: 16 bits),
//	                     padded with zeros when fewer than 48 bits remain
//
// A lookup of a name that is not listed matches only when shard, bucket and
// fingerprint all agree with a listed entry: 4+b+48 bits, at most 64. So the
// false-positive probability of one suffix probe is about
// N / 2^min(64, 52+b) (N listed names, b ≥ 12 once a shard holds 16 Ki
// names); a name with L labels makes L probes: P(false positive per lookup)
// ≈ L × N / 2^64 for a large matcher, e.g. 5 × 1e6 / 1.8e19 ≈ 3e-13.
const (
	shardBits = 4
	fpBits    = 48
	// Shards is the number of hash shards of a Matcher; Rebuild replaces
	// one (or a group) at a time.
	Shards = 1 << shardBits
)

func shardOf(h uint64) int { return int(h >> (64 - shardBits)) }

// ShardOf returns the shard (0 to Shards-1) that holds domain.
func ShardOf(domain []byte) int { return shardOf(hashName(domain)) }
