//go:build lambda && !scf

package app

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/s3store"
)

// newS3StoreRoleCredentials builds the S3 store of the Lambda build: the role's keys
// from the environment, or a container credentials endpoint; nothing else of the SDK's
// default chain is linked or set up.
func newS3StoreRoleCredentials(ctx context.Context, cfg StoreConfig, _ faceid.Credentials) (builtStore, error) {
	creds, err := cfg.S3.roleCredentials().Provider(ctx)
	if err != nil {
		return builtStore{}, fmt.Errorf("app: %w", err)
	}
	return newS3Store(cfg.S3, aws.Config{Region: cfg.S3.Region, Credentials: creds})
}

// roleCredentials are the role keys c carries, as s3store reads them.
func (c S3Config) roleCredentials() s3store.RoleCredentials {
	return s3store.RoleCredentials{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		ContainerRelativeURI: c.ContainerRelativeURI, ContainerFullURI: c.ContainerFullURI,
		ContainerAuthToken: c.ContainerAuthToken, ContainerAuthTokenFile: c.ContainerAuthTokenFile,
	}
}
