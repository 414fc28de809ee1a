// Package livetest holds the tests of pglocks (docs/clients.md's features
// against a live server, and the key vectors). It is a module of its own, a
// consumer of the package, so that the package requires no driver.
package livetest
