//go:build !scf

package app

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/facegate/facegate/pkg/s3store"
)

// newS3Store builds the S3 store on awscfg (region and credentials).
func newS3Store(c S3Config, awscfg aws.Config) (builtStore, error) {
	s, err := s3store.NewFromConfig(s3store.Config{
		Bucket: c.Bucket, Region: c.Region, Endpoint: c.Endpoint, UsePathStyle: c.UsePathStyle,
		SSE: c.SSE, KMSKeyID: c.KMSKeyID,
	}, awscfg)
	if err != nil {
		return builtStore{}, fmt.Errorf("app: S3 store: %w", err)
	}
	return builtStore{store: s}, nil
}
