//go:build lambda && scf

package platform

import "context"

// A binary is built for one platform: -tags lambda or -tags scf, not both. The
// undefined name below is the compiler's whole message.
const (
	variant     = "lambda,scf"
	variantName = tags_lambda_and_scf_exclude_each_other
)

var runtimes = map[Kind]runner{}

var requestIDs []func(ctx context.Context) string
