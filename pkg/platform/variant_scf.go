//go:build scf && !lambda

package platform

import "context"

// The Tencent SCF build (go build -tags scf) carries the SCF runtimes only: event
// functions (pkg/scfrpc) and web functions (HTTP); not aws-lambda-go.

const (
	variant     = "scf"
	variantName = "Tencent SCF"
)

var runtimes = map[Kind]runner{SCFEvent: runSCFEvent, SCFWeb: runSCFWeb}

var requestIDs = []func(ctx context.Context) string{scfRequestID}
