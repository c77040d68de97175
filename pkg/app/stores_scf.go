//go:build scf && !lambda

package app

// The Tencent SCF build (-tags scf) carries the COS store only.
var stores = map[string]storeMaker{StoreCOS: newCOSStore}
