// Package nettest is test support for the kernel-facing tests of the nfq
// packages: they run in throwaway network namespaces the test creates and
// removes again. It is imported by _test.go files only; nothing in it is
// meant for the product.
//
// Every helper takes the test's testing.TB, fails it with the command's
// output when a step fails, and registers its cleanup with t.Cleanup.
// Nothing here sends traffic outside the namespaces a test created.
package nettest
