// Package ui will hold the LAN web page: its HTTP API, sessions and embedded
// static assets, through which parents set rules and children see why a site
// is blocked. It talks to the agent through small interfaces it declares
// itself and never touches packets. It comes with a later issue; this package
// is empty until then.
package ui
