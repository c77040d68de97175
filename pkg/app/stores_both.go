//go:build lambda && scf

package app

// -tags lambda and -tags scf exclude each other: see pkg/platform.
var stores = map[string]storeMaker{}
