//go:build !lambda && !scf

package app

import (
	"context"
	"fmt"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/facegate/facegate/pkg/faceid"
)

// newS3StoreDefaultChain builds the S3 store of the local binary: static keys when
// AWS_ACCESS_KEY_ID is set, otherwise the SDK's whole default chain (shared files, SSO,
// IMDS, ...), which suits a laptop or any host.
func newS3StoreDefaultChain(ctx context.Context, cfg StoreConfig, _ faceid.Credentials) (builtStore, error) {
	c := cfg.S3
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(c.Region)}
	if c.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	// The default chain only reads the environment and files here; credentials are fetched
	// (from the Lambda role's variables, or IMDS elsewhere) on first use, not at start-up.
	awscfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return builtStore{}, fmt.Errorf("app: AWS configuration: %w", err)
	}
	return newS3Store(c, awscfg)
}
