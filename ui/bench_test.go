package ui

import "testing"

// BenchmarkHashPassword is one login's password check with the default
// parameters (argon2id, 12 MiB, 3 passes): what a login costs the router.
// Run it under qemu-mips-static for a router-like figure.
func BenchmarkHashPassword(b *testing.B) {
	p := DefaultHashParams()
	for b.Loop() {
		hashPassword("correct horse battery", p)
	}
}
